"""URL canonicalisation and the site's non-article paths: one article, one URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that only say where a click came from (shared links carry them).
_TRACKING = re.compile(r"^(?:utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|zarsrc|zarsrc_\w+|igshid|"
                       r"mc_cid|mc_eid|_ga|_gl|ref_src|cmpid|zacc|gidzl)$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Listings, multimedia and tag pages: linked from feeds and sitemaps, but not articles.
_NOT_ARTICLE = (
    (re.compile(r"^/(?:epaper|multimedia|video|podcast|short-video|emagazine)(?:/|$)"), "not an article: {}"),
    (re.compile(r"^/tin-moi\.html$"), "not an article: listing {}"),
    (re.compile(r"-tag\d+\.html$"), "not an article: tag page {}"),
)


def canonical_url(url: str, base: str | None = None) -> str | None:
    """Lowercase scheme and host, default port and fragment dropped, tracking parameters
    removed; None for anything that is not an http(s) URL."""
    url = url.strip()
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def not_article_reason(url: str) -> str | None:
    """Why this URL of the paper is not an article page, or None."""
    path = urlsplit(url).path
    for pattern, reason in _NOT_ARTICLE:
        if pattern.search(path):
            return reason.format(path)
    return None
