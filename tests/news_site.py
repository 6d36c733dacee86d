"""A fixture news site on 127.0.0.1: feeds, sitemaps and CMS-layout article pages, mutable from
tests (add or change an article, make a page 410, queue a 429 …), recording every request.
Text is our own. `site = NewsSite().start(); site.add_article(...); site.set_status(path, 410)`.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import string
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

SITE_DATA = Path(__file__).parent / "data" / "site"
LAST_MODIFIED = "Sat, 30 Aug 2025 01:00:00 GMT"
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_TEMPLATE = string.Template((SITE_DATA / "cms-article.html.tmpl").read_text(encoding="utf-8"))


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese pages write it: base letters precomposed, tone marks combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


class FakeClock:
    """Injectable clock for FetchSettings: sleeps are recorded and advance time, never taken."""

    def __init__(self, start: float = 1_756_659_600.0) -> None:  # 2025-09-01 00:00 +07:00
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.t += seconds


@dataclass
class Article:
    path: str
    title: str
    lede: str
    paragraphs: list[str]
    published: str | None = "2025-08-30T08:07:00+0700"  # the CMS writes the offset without a colon
    topics: list[str] = field(default_factory=list)
    caption: str | None = None
    section: str = "Xã hội"
    charset: str = "utf-8"
    feed: bool = True
    sitemap: bool = True
    news: bool = False
    lastmod: str = "2025-08-30T08:10:00+07:00"


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    huge: int = 0  # stream this many bytes instead of `body`
    huge_length: bool = True  # announce the huge size in Content-Length


def _parse(published: str) -> datetime:
    return datetime.strptime(published, "%Y-%m-%dT%H:%M:%S%z")


def cms_page(a: Article, base: str) -> str:
    """An article page in the CMS layout: lazy image with caption, tags, related box, share bar,
    ads and scripts, `article:published_time` with "+0700"."""
    e = html.escape
    when = (f'<meta property="article:published_time" content="{a.published}">' if a.published else "")
    time = f'<time class="time" datetime="{a.published}">{_parse(a.published):%d/%m/%Y %H:%M}</time>' if a.published else ""
    paras = [f"<p>{e(p)}</p>" for p in a.paragraphs]
    if a.caption:
        figure = ('<figure class="image"><img class="cms-photo lazyload" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="'
                  ' data-src="https://cdn.example.org/images/ab12/anh.jpg" alt="">'
                  '<noscript><img src="https://cdn.example.org/images/ab12/anh.jpg"></noscript>'
                  f'<figcaption>{e(a.caption)} <span class="photo-credit">Ảnh: Lê Minh</span></figcaption></figure>')
        paras.insert(1, figure)
    paras.insert(2, '<div class="ads"><p>Quảng cáo: mua sắm giảm giá cuối tuần</p></div><script>track("view");</script>')
    paras.append('<p>Đọc thêm: <a href="/bai-cu-post999.html">Một bài cũ về giao thông nông thôn</a></p>')
    tags = "".join(f'<a href="/t-tag{i}.html">#{e(t)}</a>' for i, t in enumerate(a.topics))
    return _TEMPLATE.substitute(charset=a.charset, title=e(a.title), canonical=base + a.path, when=when,
                                section=e(a.section), time=time, lede=e(a.lede), body="".join(paras), tags=tags)


class NewsSite:
    def __init__(self) -> None:
        self.robots_txt = "User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n"
        self.articles: dict[str, Article] = {}
        self.feed_links: list[str] = []  # extra links listed in the RSS feed (paths or absolute URLs)
        self.sitemap_links: list[str] = []
        self._pages: dict[str, Answer] = {}  # fixed answers by path
        self._queued: dict[str, list[Answer]] = {}  # answers given once each, before the usual one
        self._lock = threading.Lock()
        self._log: list[tuple[str, dict[str, str]]] = []
        self._sent: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None

    # lifecycle
    def start(self) -> NewsSite:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def other_host(self) -> str:
        """The same server under another host name: any request there counts as a leak."""
        return self.url.replace("127.0.0.1", "localhost")

    # content
    def add_article(self, path: str, title: str, lede: str, paragraphs: list[str], **kw: object) -> str:
        with self._lock:
            self.articles[path] = Article(path, title, lede, list(paragraphs), **kw)  # type: ignore[arg-type]
        return self.url + path

    def update_article(self, path: str, **changes: object) -> None:
        with self._lock:
            self.articles[path] = replace(self.articles[path], **changes)  # type: ignore[arg-type]

    def set_page(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
                 status: int = 200, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._pages[path] = Answer(status, {"Content-Type": content_type, **(headers or {})}, data)

    def set_status(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        """From now on `path` answers `status` with an empty body (410: a takedown)."""
        with self._lock:
            self._pages[path] = Answer(status, dict(headers or {}))

    def queue(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        """The next request for `path` gets this answer; later ones the usual."""
        with self._lock:
            self._queued.setdefault(path, []).append(Answer(status, dict(headers or {})))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.set_status(path, status, {"Location": location})

    def set_huge(self, path: str, size: int, content_length: bool = True) -> None:
        with self._lock:
            self._pages[path] = Answer(200, {"Content-Type": "text/html; charset=utf-8"}, huge=size,
                                       huge_length=content_length)

    # what the server saw
    def requests(self, path: str) -> list[dict[str, str]]:
        """Request headers (lowercase names) of every request for `path` (query ignored)."""
        with self._lock:
            return [h for p, h in self._log if urlsplit(p).path == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self._log]

    def bytes_sent(self, path: str) -> int:
        with self._lock:
            return self._sent.get(path, 0)

    # answers
    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self._sent[path] = self._sent.get(path, 0) + n

    def answer(self, path: str) -> Answer:
        with self._lock:
            if self._queued.get(path):
                return self._queued[path].pop(0)
            if path in self._pages:
                return self._pages[path]
            article = self.articles.get(path)
            if article is not None:
                page = cms_page(article, self.url)
                data = to_cp1258(page) if article.charset != "utf-8" else page.encode("utf-8")
                return Answer(200, {"Content-Type": f"text/html; charset={article.charset}"}, data)
            dynamic = self._dynamic(path)
        return dynamic or Answer(404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")

    def _dynamic(self, path: str) -> Answer | None:
        docs = {"/robots.txt": ("text/plain", lambda: self.robots_txt),
                "/rss/home.rss": ("application/rss+xml; charset=utf-8", self._rss),
                "/atom.xml": ("application/atom+xml", self._atom),
                "/sitemap.xml": ("application/xml", self._sitemap_index),
                "/sitemaps/news-2025-8.xml.gz": ("application/x-gzip", self._urlset),  # a gzip file, not an encoding
                "/sitemaps/google-news.xml": ("application/xml", self._news_sitemap)}
        if path not in docs:
            return None
        ctype, build = docs[path]
        body = build().encode()
        return Answer(200, {"Content-Type": ctype}, gzip.compress(body, mtime=0) if path.endswith(".gz") else body)

    def _rss(self) -> str:
        items = [f"<item><title>{html.escape(a.title)}</title><link>{self.url}{a.path}</link>"
                 + (f"<pubDate>{format_datetime(_parse(a.published))}</pubDate>" if a.published else "")
                 + f"<description>{html.escape(a.lede)}</description></item>"
                 for a in self.articles.values() if a.feed]
        items += [f"<item><title>Liên kết</title><link>{html.escape(urljoin(self.url, x))}</link></item>" for x in self.feed_links]
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử Nghiệm</title>'
                f"<link>{self.url}/</link>{''.join(items)}</channel></rss>")

    def _atom(self) -> str:
        entries = "".join(f'<entry><title>{html.escape(a.title)}</title><id>{self.url}{a.path}</id><link href="{self.url}'
                          f'{a.path}"/><updated>{a.lastmod}</updated></entry>' for a in self.articles.values() if a.feed)
        return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Báo Thử Nghiệm</title><id>'
                f"{self.url}/</id><updated>2025-08-30T08:10:00+07:00</updated>{entries}</feed>")

    def _sitemap_index(self) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{self.url}/sitemaps/news-2025-8.xml.gz</loc></sitemap></sitemapindex>")

    def _urlset(self) -> str:
        urls = [f"<url><loc>{self.url}{a.path}</loc><lastmod>{a.lastmod}</lastmod></url>"
                for a in self.articles.values() if a.sitemap]
        urls += [f"<url><loc>{html.escape(urljoin(self.url, x))}</loc></url>" for x in self.sitemap_links]
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{''.join(urls)}</urlset>")

    def _news_sitemap(self) -> str:
        urls = [f"<url><loc>{self.url}{a.path}</loc><news:news><news:publication><news:name>Báo Thử Nghiệm</news:name>"
                f"<news:language>vi</news:language></news:publication><news:publication_date>{a.published}"
                f"</news:publication_date><news:title>{html.escape(a.title)}</news:title></news:news></url>"
                for a in self.articles.values() if a.news]
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' f"{''.join(urls)}</urlset>")


def _handler(site: NewsSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            with site._lock:
                site._log.append((self.path, headers))
            path = urlsplit(self.path).path
            ans = site.answer(path)
            if ans.huge:
                self._send_huge(path, ans)
                return
            out = dict(ans.headers)
            if ans.status == 200:
                etag = '"' + hashlib.sha1(ans.body).hexdigest()[:16] + '"'
                out |= {"ETag": etag, "Last-Modified": LAST_MODIFIED}
                if headers.get("if-none-match") == etag:
                    ans = Answer(304, {"ETag": etag})
            self.send_response(ans.status)
            for k, v in out.items() if ans.status != 304 else ans.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(ans.body)))
            self.end_headers()
            self.wfile.write(ans.body)
            site._count(path, len(ans.body))

        def _send_huge(self, path: str, ans: Answer) -> None:
            self.send_response(200)
            for k, v in ans.headers.items():
                self.send_header(k, v)
            if ans.huge_length:
                self.send_header("Content-Length", str(ans.huge))
            self.end_headers()
            block, left = b"<p>" + b"x" * 65_520 + b"</p>\n", ans.huge
            try:
                while left > 0:
                    self.wfile.write(block[:left])
                    site._count(path, min(left, len(block)))
                    left -= len(block)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: what it saved us is what the test checks

    return Handler
