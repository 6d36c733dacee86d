"""Read articles: scraped page text (.txt) and JSONL, into clean `Article` records.

Bad input never stops a build: every file or line that cannot be used becomes a
`Skipped` entry with its reason, and the caller reports them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .credits import clean_paragraphs, strip_credit
from .decode import BadArticle as BadArticle  # re-exported: callers import both from here
from .decode import decode as decode
from .text import nfc

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = {".txt", ".jsonl"}

_IMAGE_LINE = re.compile(r"^[\w.\-]+\.(?:jpe?g|png|gif|webp|bmp)$", re.IGNORECASE)
LEDE_PREFIX = re.compile(r"^\s*\((?:Baohatinh\.vn|Báo Hà Tĩnh|[A-Za-z]+\.vn)\)\s*[-–—]\s*")
_TOPIC_LINE = re.compile(r"^Chủ đề\s+(.+)$")
_READ_MORE = re.compile(r"^(?:Đọc thêm|Xem thêm|Tin liên quan)\s*:?$")


@dataclass(frozen=True, slots=True)
class Article:
    """One article. `text` is what is indexed and quoted: lede, then body paragraphs
    and captions in page order, joined by blank lines; chunk offsets point into it."""

    id: str
    url: str | None
    title: str
    published: str | None
    topics: tuple[str, ...]
    lede: str
    captions: tuple[str, ...]
    text: str
    related: tuple[str, ...] = ()
    source: str = ""

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "url": self.url, "title": self.title, "published": self.published,
                "topics": list(self.topics), "lede": self.lede, "captions": list(self.captions),
                "text": self.text, "related": list(self.related), "source": self.source}

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Article:
        return cls(id=str(d["id"]), url=d.get("url") or None, title=str(d["title"]),  # type: ignore[arg-type]
                   published=d.get("published") or None, topics=tuple(d.get("topics") or ()),  # type: ignore[arg-type]
                   lede=str(d.get("lede", "")), captions=tuple(d.get("captions") or ()),  # type: ignore[arg-type]
                   text=str(d["text"]), related=tuple(d.get("related") or ()),  # type: ignore[arg-type]
                   source=str(d.get("source", "")))


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    reason: str


@dataclass(slots=True)
class ReadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: int = 0


def article_id(url: str | None, fallback: str) -> str:
    """Stable id: from the URL when there is one, else from the path."""
    key = f"url:{url}" if url else f"path:{fallback}"
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def _parse_front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            meta: dict[str, str] = {}
            for line in lines[1:i]:
                key, sep, value = line.partition(":")
                if sep:
                    meta[key.strip().lower()] = value.strip()
            return meta, lines[i + 1:]
    raise BadArticle("front matter opened with --- but never closed")


def _split_topics(value: object) -> tuple[str, ...]:
    items = [str(v) for v in value] if isinstance(value, list) else str(value or "").strip().strip("[]").split(",")
    return tuple(dict.fromkeys(t.strip().strip("'\"").strip() for t in items if t.strip().strip("'\"")))


def _published(value: object) -> str | None:
    if not value:
        return None
    raw = str(value).strip()
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError as exc:
        raise BadArticle(f"published is not an ISO date: {raw!r}") from exc


def parse_page(text: str, source: str, meta: dict[str, object] | None = None) -> Article:
    """Parse scraped page text (the seed's format), with optional front matter."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    front, lines = _parse_front_matter(lines)
    meta = {**front, **(meta or {})}
    lines = [ln.strip() for ln in lines]

    title = nfc(str(meta.get("title") or "")).strip()
    start = 0
    if not title:
        for i, ln in enumerate(lines):
            if ln:
                title, start = ln, i + 1
                break
    if not title:
        raise BadArticle("empty: no title")
    if len(title) > 400:
        raise BadArticle("first line is too long to be a title")

    paragraphs: list[str] = []
    captions: list[str] = []
    topics = [nfc(t) for t in _split_topics(meta.get("topics"))]
    related: list[str] = []
    lede = ""
    i = start
    while i < len(lines):
        ln = lines[i]
        i += 1
        if not ln:
            continue
        if _READ_MORE.match(ln):
            related = _related_titles(lines[i:])
            break
        if m := _TOPIC_LINE.match(ln):
            topics.append(m.group(1).strip())
            continue
        if _IMAGE_LINE.match(ln):
            # The line after an image file name is its caption.
            while i < len(lines) and not lines[i]:
                i += 1
            if i < len(lines) and not _IMAGE_LINE.match(lines[i]) and not _TOPIC_LINE.match(lines[i]):
                captions.append(lines[i])
                paragraphs.append(lines[i])
                i += 1
            continue
        if not lede:
            stripped = strip_credit(LEDE_PREFIX.sub("", ln))  # a credit only: the next paragraph leads
            lede = stripped
            paragraphs.append(stripped)
            continue
        paragraphs.append(ln)
    paragraphs, captions = clean_paragraphs(paragraphs, captions)  # no photo credits, no repeated captions
    if not paragraphs:
        raise BadArticle("empty: no text after the title")
    url = nfc(str(meta.get("url") or "")).strip() or None
    return Article(id=article_id(url, source), url=url, title=title,
                   published=_published(meta.get("published")),
                   topics=tuple(dict.fromkeys(topics)), lede=lede, captions=tuple(captions),
                   text="\n\n".join(paragraphs), related=tuple(related), source=source)


def _related_titles(lines: list[str]) -> list[str]:
    """Teasers after "Đọc thêm": a title is printed twice in a row, then its summary."""
    nonempty = [ln for ln in lines if ln]
    titles = [a for a, b in itertools.pairwise(nonempty) if a == b]
    if not titles:
        titles = [ln for ln in nonempty if len(ln) <= 160 and not ln.endswith(".")]
    return list(dict.fromkeys(titles))


def parse_json_record(obj: object, source: str) -> Article:
    if not isinstance(obj, dict):
        raise BadArticle("not a JSON object")
    title = str(obj.get("title") or "").strip()
    text = obj.get("text")
    if not title or not isinstance(text, str) or not text.strip():
        raise BadArticle("missing title or text")
    url = str(obj.get("url") or "").strip() or None
    meta: dict[str, object] = {"title": title, "url": url, "published": obj.get("published"),
                               "topics": obj.get("topics")}
    fallback = source if url else f"{source}#{title}"
    return _with_record_fields(parse_page(text, fallback, meta), obj)


def _with_record_fields(art: Article, obj: dict[str, object]) -> Article:
    """Fetched records name their lede and captions (paragraphs of `text`): trust them."""
    changes: dict[str, object] = {}
    captions, lede = obj.get("captions"), obj.get("lede")
    if isinstance(captions, list):
        paragraphs, named = clean_paragraphs(art.text.split("\n\n"), [nfc(str(c)) for c in captions])
        changes["captions"], changes["text"] = tuple(named), "\n\n".join(paragraphs)
    if isinstance(lede, str) and lede.strip():
        changes["lede"] = LEDE_PREFIX.sub("", nfc(lede).strip())
    return replace(art, **changes) if changes else art  # type: ignore[arg-type]


def _walk(path: Path) -> Iterator[Path]:
    """Files under `path`, sorted (symlinked folders are not entered)."""
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def read_articles(paths: Iterable[str | Path], max_bytes: int = MAX_BYTES) -> ReadResult:
    """Read every article under `paths`. Later duplicates of a URL replace earlier ones."""
    result = ReadResult()
    by_url: dict[str, int] = {}

    def add(art: Article) -> None:
        if art.url and art.url in by_url:
            result.duplicates += 1
            result.skipped.append(Skipped(result.articles[by_url[art.url]].source,
                                          f"duplicate url {art.url}: replaced by {art.source}"))
            result.articles[by_url[art.url]] = art
            return
        if art.url:
            by_url[art.url] = len(result.articles)
        result.articles.append(art)

    for given in paths:
        root = Path(given)
        if root.is_dir():
            files = [p for p in _walk(root) if p.suffix.lower() in SUFFIXES]
            for p in files:
                if not _inside(p, root):
                    result.skipped.append(Skipped(str(p), "symlink outside the articles folder"))
                    continue
                _read_file(p, max_bytes, add, result)
        elif root.exists():
            _read_file(root, max_bytes, add, result)
        else:
            result.skipped.append(Skipped(str(root), "no such file or directory"))
    for s in result.skipped:
        log.warning("skipped %s: %s", s.source, s.reason)
    return result


def _read_file(path: Path, max_bytes: int, add: Callable[[Article], None], result: ReadResult) -> None:
    src = str(path)
    if path.suffix.lower() not in SUFFIXES:
        result.skipped.append(Skipped(src, f"unsupported file type {path.suffix or '(none)'}"))
        return
    try:
        size = path.stat().st_size
        if path.suffix.lower() == ".txt" and size > max_bytes:
            result.skipped.append(Skipped(src, f"too large: {size} bytes > {max_bytes}"))
            return
        if path.suffix.lower() == ".jsonl":
            _read_jsonl(path, max_bytes, add, result)
            return
        data = path.read_bytes()
    except OSError as exc:
        result.skipped.append(Skipped(src, f"unreadable: {exc.strerror or exc}"))
        return
    try:
        if not data.strip():
            raise BadArticle("empty file")
        add(parse_page(decode(data), src))
    except (BadArticle, UnicodeError) as exc:
        result.skipped.append(Skipped(src, str(exc)))


def _read_jsonl(path: Path, max_bytes: int, add: Callable[[Article], None], result: ReadResult) -> None:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            src = f"{path}:{n}"
            if not raw.strip():
                continue
            if len(raw) > max_bytes:
                result.skipped.append(Skipped(src, f"too large: {len(raw)} bytes > {max_bytes}"))
                continue
            try:
                obj = json.loads(decode(raw) if n > 1 else decode(raw).lstrip("\ufeff"))
                add(parse_json_record(obj, str(path)))
            except json.JSONDecodeError as exc:
                result.skipped.append(Skipped(src, f"invalid JSON: {exc.msg}"))
            except (BadArticle, UnicodeError) as exc:
                result.skipped.append(Skipped(src, str(exc)))
