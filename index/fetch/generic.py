"""What any news page says about itself (JSON-LD NewsArticle, OpenGraph, <title>), and
the generic body and date extractors used when the site adapter does not recognise a page."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .dates import parse_published

log = logging.getLogger(__name__)

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}


@dataclass(slots=True)
class PageMeta:
    title: str | None = None
    published: str | None = None
    section: str | None = None
    topics: list[str] = field(default_factory=list)
    canonical: str | None = None
    body: str | None = None  # JSON-LD articleBody, a last resort for the text


def _walk_ld(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_ld(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk_ld(node.get("@graph"))


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return bool(kinds & _ARTICLE_TYPES)


def json_ld_article(doc: Any) -> dict[str, Any] | None:
    for script in doc.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (json.JSONDecodeError, RecursionError):
            continue
        for obj in _walk_ld(data):
            if _is_article(obj):
                return obj
    return None


def _meta(doc: Any, *names: str) -> str | None:
    for name in names:
        found = doc.xpath(f"//meta[@property='{name}' or @name='{name}' or @itemprop='{name}']/@content")
        if found and str(found[0]).strip():
            return str(found[0]).strip()
    return None


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() if isinstance(value, str | int | float) and str(value).strip() else None


def _keywords(value: object) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(k).strip() for k in items if str(k).strip()]


def page_meta(doc: Any) -> PageMeta:
    """JSON-LD first, then OpenGraph / article:* meta tags, then <title>."""
    ld = json_ld_article(doc) or {}
    titles = doc.xpath("//title/text()")
    canonical = doc.xpath("//link[@rel='canonical']/@href")
    tags = [str(t).strip() for t in doc.xpath("//meta[@property='article:tag']/@content") if str(t).strip()]
    return PageMeta(
        title=_text(ld.get("headline")) or _meta(doc, "og:title") or (str(titles[0]).strip() if titles else None),
        published=parse_published(_text(ld.get("datePublished")))
        or parse_published(_meta(doc, "article:published_time", "datePublished", "pubdate")),
        section=_text(ld.get("articleSection")) or _meta(doc, "article:section"),
        topics=_keywords(ld.get("keywords")) or tags,
        canonical=str(canonical[0]).strip() if canonical else None,
        body=_text(ld.get("articleBody")),
    )


def fallback_paragraphs(html: str, url: str) -> list[str]:
    """The body by trafilatura; favor_recall keeps teaser-classed paragraphs it would drop."""
    import trafilatura

    try:
        text = trafilatura.extract(html, url=url, favor_recall=True, include_comments=False,
                                   include_tables=False, output_format="txt")
    except Exception:  # a third-party extractor must not take the fetch down with it
        log.warning("trafilatura failed on %s", url, exc_info=True)
        return []
    return [p.strip() for p in (text or "").split("\n") if p.strip()]


def fallback_date(doc: Any, url: str) -> str | None:
    """htmldate on markup only (no guessing from free text, which finds copyright years).
    It gets a parsed tree: given a string that looks like a URL, it would download it."""
    from htmldate import find_date

    try:
        found = find_date(copy.deepcopy(doc), extensive_search=False, original_date=True, url=url)
    except Exception:  # as above
        log.warning("htmldate failed on %s", url, exc_info=True)
        return None
    return parse_published(found)
