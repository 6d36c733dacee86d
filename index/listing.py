"""What a generation was built from: each article file's size and modification time,
and the articles (id, content hash) it gave. An incremental update re-reads only the
files whose signature changed, and learns from the listing which articles vanished."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import layout
from .articles import SUFFIXES, Article

SOURCES = layout.SOURCES
FORMAT = "hoibao-sources/1"

Signature = tuple[int, int]  # (size, mtime_ns)


@dataclass(slots=True)
class FileEntry:
    signature: Signature
    articles: list[tuple[str, str]] = field(default_factory=list)  # (article id, content hash)


@dataclass(slots=True)
class Listing:
    roots: list[str]
    files: dict[str, FileEntry]

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "roots": self.roots,
                "files": {p: [e.signature[0], e.signature[1], [list(a) for a in e.articles]]
                          for p, e in self.files.items()}}

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Listing:
        if d.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} listing")
        files = d["files"]
        assert isinstance(files, dict)
        return cls([str(r) for r in d["roots"]],  # type: ignore[attr-defined]
                   {str(p): FileEntry((int(v[0]), int(v[1])), [(str(a), str(h)) for a, h in v[2]])
                    for p, v in files.items()})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Listing:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def article_hash(a: Article) -> str:
    """Changes whenever anything indexed or shown of the article changes."""
    d = a.to_json()
    d.pop("source", None)
    return hashlib.blake2b(json.dumps(d, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"),
                           digest_size=12).hexdigest()


def _walk(folder: str, out: dict[str, Signature]) -> None:
    """Article files under `folder`, sorted as `read_articles` reads them. Symlinked files
    and folders are not followed (a symlink could point outside the articles folder);
    one stat per file: at 300,000 articles this runs on every sync."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        try:
            if e.is_symlink():
                continue
            if e.is_dir():
                _walk(e.path, out)
            elif os.path.splitext(e.name)[1].lower() in SUFFIXES:
                st = e.stat()
                out[str(Path(e.path))] = (st.st_size, st.st_mtime_ns)  # spelled as read_articles spells it
        except OSError:
            continue  # vanished meanwhile: the read reports it, the next scan forgets it


def scan(roots: Iterable[str | Path]) -> dict[str, Signature]:
    """Every article file under `roots` with its signature (taken before reading it, so
    a file written during a build is seen as changed next time)."""
    out: dict[str, Signature] = {}
    for root in roots:
        path = str(root)
        if os.path.isdir(path):
            _walk(path, out)
        elif os.path.isfile(path):
            st = os.stat(path)
            out[str(Path(path))] = (st.st_size, st.st_mtime_ns)
    return out


def file_of(source: str, files: dict[str, Signature]) -> str | None:
    """The file an article came from: its `source`, or a JSONL file's path before "#title"."""
    if source in files:
        return source
    cut = source.find("#")
    while cut != -1:
        if source[:cut] in files:
            return source[:cut]
        cut = source.find("#", cut + 1)
    return None


def make_listing(roots: Iterable[str | Path], signatures: dict[str, Signature],
                 articles: Iterable[Article]) -> Listing:
    files = {p: FileEntry(sig) for p, sig in signatures.items()}
    for a in articles:
        f = file_of(a.source, signatures)
        if f is not None:
            files[f].articles.append((a.id, article_hash(a)))
    return Listing([str(r) for r in roots], files)
