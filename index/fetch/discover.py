"""Sources → article links: RSS/Atom (feedparser), sitemaps, sitemap indexes (gzip too)
and Google-News sitemaps, each link with what the source says of its dates."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin

import feedparser
from lxml import etree

from .dates import parse_published

MAX_UNZIPPED = 50 * 1024 * 1024  # the sitemap protocol's own limit


class DiscoveryError(ValueError):
    """A source document that is neither a feed nor a sitemap; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    lastmod: str | None = None  # ISO, from a sitemap <lastmod> or a feed's <updated>
    published: str | None = None  # ISO, from a feed's pubDate or news:publication_date


@dataclass(slots=True)
class Listing:
    kind: Literal["feed", "sitemap", "sitemapindex"]
    entries: list[Entry] = field(default_factory=list)  # articles, or child sitemaps for an index


def _gunzip(body: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(MAX_UNZIPPED + 1)
    except (OSError, EOFError) as exc:
        raise DiscoveryError(f"broken gzip: {exc}") from exc
    if len(data) > MAX_UNZIPPED:
        raise DiscoveryError(f"gzip unpacks to over {MAX_UNZIPPED} bytes")
    return data


def _xml_root(body: bytes) -> Any:
    # No entities, no network: a sitemap cannot make the parser read files or URLs.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _child_text(node: Any, *names: str) -> str | None:
    """Text of the first descendant named like names[0]/names[1]/… regardless of namespace."""
    path = "./" + "/".join(f"*[local-name()='{n}']" for n in names)
    found = node.xpath(path)
    text = (found[0].text or "").strip() if found else ""
    return text or None


def _sitemap(root: Any, base: str, kind: Literal["sitemap", "sitemapindex"]) -> Listing:
    tag = "url" if kind == "sitemap" else "sitemap"
    listing = Listing(kind)
    for node in root.xpath(f"./*[local-name()='{tag}']"):
        loc = _child_text(node, "loc")
        if not loc:
            continue
        published = _child_text(node, "news", "publication_date")
        listing.entries.append(Entry(urljoin(base, loc), parse_published(_child_text(node, "lastmod")),
                                     parse_published(published)))
    return listing


def _feed(body: bytes, base: str) -> Listing:
    parsed = feedparser.parse(body, response_headers={"content-location": base})
    if not parsed.get("version") and not parsed.entries:
        raise DiscoveryError("not a feed or sitemap")
    listing = Listing("feed")
    for item in parsed.entries:
        link = item.get("link") or ""
        if not link:
            continue
        # dict.get: feedparser's own get maps a missing "updated" to "published", with a warning
        updated = parse_published(dict.get(item, "updated"))
        published = parse_published(dict.get(item, "published")) or updated
        listing.entries.append(Entry(urljoin(base, link), updated, published))
    return listing


def parse_listing(body: bytes, url: str) -> Listing:
    """What a feed or sitemap lists; raises DiscoveryError for anything else."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    if not body.strip():
        raise DiscoveryError("empty document")
    root = _xml_root(body)
    if root is not None and isinstance(root.tag, str):
        name = etree.QName(root).localname
        if name == "urlset":
            return _sitemap(root, url, "sitemap")
        if name == "sitemapindex":
            return _sitemap(root, url, "sitemapindex")
    return _feed(body, url)
