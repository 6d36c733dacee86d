"""An article page → the record the indexer reads. Two steps: find the article (the site
adapter's selectors first, the generic extractor as fallback), then map it to the record."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree

from index.articles import LEDE_PREFIX
from index.text import nfc

from .canonical import canonical_url
from .dates import parse_published
from .generic import PageMeta, fallback_date, fallback_paragraphs, page_meta
from .selectors import select, select_first

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_SKIP_PARAGRAPH = re.compile(r"^(?:Đọc thêm|Xem thêm|Tin liên quan)\b|^[\w.\-]+\.(?:jpe?g|png|gif|webp)$",
                             re.IGNORECASE)
_BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption"}
_CONTAINERS = _BLOCK_TAGS | {"div", "section", "article", "figure", "table", "ul", "ol", "tbody", "tr", "td"}


class ExtractError(ValueError):
    """A page that gives no article; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Extracted:
    url: str  # canonical
    record: dict[str, object]
    adapter: str  # "cms" or "generic"


def _charset(body: bytes, content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    found = m.group(1) if m else None
    if not found and (meta := _CHARSET.search(body[:4096])):
        found = meta.group(1).decode("ascii", "replace")
    try:
        return codecs.lookup(found).name if found else None
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str = "") -> str:
    """Declared charset (header, then <meta>), else UTF-8, else Windows-1258; always NFC
    (Windows-1258 writes tone marks as combining characters)."""
    if body.startswith(codecs.BOM_UTF8):
        text = body[3:].decode("utf-8", "replace")
    elif charset := _charset(body, content_type):
        text = body.decode(charset, "replace")
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("cp1258", "replace")
    return nfc(text)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _text(el: Any) -> str:
    return _clean("".join(el.itertext()))


def _blocks(node: Any, captions: set[Any]) -> Iterator[tuple[str, bool]]:
    """(text, is_caption) of each paragraph-like element under `node`, in page order."""
    if _clean(node.text or ""):
        yield _clean(node.text), False
    for el in node:
        if isinstance(el.tag, str):
            if el in captions:
                yield _text(el), True
            elif el.tag in _BLOCK_TAGS or not _has_blocks(el, captions):
                yield _text(el), False
            else:
                yield from _blocks(el, captions)
        if _clean(el.tail or ""):
            yield _clean(el.tail), False


def _has_blocks(el: Any, captions: set[Any]) -> bool:
    return any(isinstance(d.tag, str) and (d.tag in _CONTAINERS or d in captions) for d in el.iterdescendants())


def _parse(html: str) -> Any:
    try:
        doc = lxml.html.document_fromstring(_XML_DECL.sub("", html))
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from exc
    for br in doc.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return doc


def _cms(doc: Any, meta: PageMeta) -> tuple[str, str, list[tuple[str, bool]], list[str], str | None, str | None]:
    """Title, lede, paragraphs, topics, section and time by the site adapter's selectors."""
    title_el, body_el = select_first(doc, "title"), select_first(doc, "body")
    lede_el = select_first(doc, "lede")
    topics = [_text(a).lstrip("#").strip() for a in select(doc, "topics")]
    crumbs = [_text(a) for a in select(doc, "section") if _text(a) and _text(a).lower() != "trang chủ"]
    time_el, time_text = select_first(doc, "time"), select_first(doc, "time_text")
    published = (meta.published or parse_published(time_el.get("datetime") if time_el is not None else None)
                 or parse_published(_text(time_text) if time_text is not None else None))
    for el in select(body_el, "drop"):
        el.drop_tree()  # keeps the tail text
    paragraphs = list(_blocks(body_el, set(select(body_el, "caption"))))
    section = meta.section or (crumbs[-1] if crumbs else None)
    return _text(title_el), _lede(lede_el, body_el), paragraphs, topics, section, published


def _lede(lede_el: Any | None, body_el: Any) -> str:
    if lede_el is None:
        return ""
    if body_el in lede_el.iterdescendants():  # an unclosed sapo swallowed the body: keep its own text
        return _clean(lede_el.text or "")
    return _text(lede_el)


def _generic(doc: Any, html: str, url: str, meta: PageMeta) -> tuple[str, list[tuple[str, bool]]]:
    h1 = doc.xpath("//h1")
    title = meta.title or (_text(h1[0]) if h1 else "")
    texts = fallback_paragraphs(html, url) or [p for p in (meta.body or "").split("\n") if p.strip()]
    figcaptions = {_text(f) for f in doc.xpath("//figcaption")}
    return title, [(_clean(t), _clean(t) in figcaptions) for t in texts]


def _record(url: str, title: str, lede: str, paragraphs: list[tuple[str, bool]], topics: list[str],
            section: str | None, published: str | None) -> dict[str, object]:
    lede = LEDE_PREFIX.sub("", lede).strip()
    kept: list[tuple[str, bool]] = [(lede, False)] if lede else []
    for text, is_caption in paragraphs:
        text = LEDE_PREFIX.sub("", text) if not kept else text
        if text and not _SKIP_PARAGRAPH.search(text) and (text, is_caption) not in kept and text != lede:
            kept.append((text, is_caption))
    if not kept:
        raise ExtractError("no article text")
    return {"url": url, "title": title, "text": "\n\n".join(t for t, _ in kept), "published": published,
            "topics": list(dict.fromkeys(t for t in topics if t)), "section": section,
            "lede": lede or kept[0][0], "captions": [t for t, cap in kept if cap]}


def extract_article(body: bytes, content_type: str, url: str, allowed: Callable[[str], bool]) -> Extracted:
    """The record of the article at `url`; `allowed` says which hosts a rel=canonical may name."""
    if body[:5] == b"%PDF-" or b"\x00" in body[:1024]:
        raise ExtractError("not HTML: binary content")
    html = decode_html(body, content_type)
    doc = _parse(html)
    meta = page_meta(doc)
    canonical = canonical_url(meta.canonical, base=url) if meta.canonical else None
    final = canonical if canonical and allowed(canonical) else (canonical_url(url) or url)
    if select_first(doc, "title") is not None and select_first(doc, "body") is not None:
        title, lede, paragraphs, topics, section, published = _cms(doc, meta)
        adapter = "cms"
    else:
        title, paragraphs = _generic(doc, html, url, meta)
        lede, topics, section, published, adapter = "", meta.topics, meta.section, meta.published, "generic"
    published = published or fallback_date(doc, url)
    title = _clean(title)
    if not title:
        raise ExtractError("no title")
    if len(title) > 400:
        raise ExtractError("title over 400 characters")
    return Extracted(final, _record(final, title, lede, paragraphs, topics, section, published), adapter)
