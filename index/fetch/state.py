"""The fetcher's memory, one SQLite file in the articles folder (WAL, short transactions).

Schema changes are numbered migrations run at open; PRAGMA user_version says how many ran.
Every write is keyed by what must not repeat (the canonical URL), so a crash mid-run is
safe to replay.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from ..sqlitedb import Migration, migrate, transaction

STATE_FILE = "fetch-state.sqlite3"  # not .jsonl/.txt: the indexer reads those

_MIGRATIONS: list[str] = [
    # 1: articles by canonical URL, aliases, who lists what, conditional-GET validators, sources
    """
    CREATE TABLE articles (
        url TEXT PRIMARY KEY, source TEXT NOT NULL, path TEXT, content_hash TEXT,
        etag TEXT, last_modified TEXT, first_seen REAL NOT NULL, last_fetch REAL, last_check REAL,
        published TEXT, published_ts REAL, lastmod TEXT,
        failures INTEGER NOT NULL DEFAULT 0, last_error TEXT, gone_at REAL);
    CREATE INDEX articles_check ON articles (source, last_check);
    CREATE TABLE aliases (url TEXT PRIMARY KEY, canonical TEXT NOT NULL);
    CREATE TABLE listings (document TEXT NOT NULL, url TEXT NOT NULL, source TEXT NOT NULL,
        last_listed REAL NOT NULL, PRIMARY KEY (document, url));
    CREATE TABLE documents (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_fetch REAL,
        lastmod TEXT, kind TEXT);
    CREATE TABLE sources (url TEXT PRIMARY KEY, last_sync REAL, new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0, next_retry REAL);
    """,
]


@dataclass(frozen=True, slots=True)
class ArticleRow:
    url: str
    source: str
    path: str | None
    content_hash: str | None
    etag: str | None
    last_modified: str | None
    first_seen: float
    last_fetch: float | None
    last_check: float | None
    published: str | None
    lastmod: str | None
    failures: int
    gone_at: float | None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    url: str
    last_sync: float | None
    new: int
    updated: int
    removed: int
    last_error: str | None
    failures: int
    next_retry: float | None


_ARTICLE_COLS = ", ".join(ArticleRow.__dataclass_fields__)
_SOURCE_COLS = ", ".join(SourceStatus.__dataclass_fields__)
_WRITABLE = (set(ArticleRow.__dataclass_fields__) | {"published_ts", "last_error"}) - {"url", "first_seen"}


def _script(script: str) -> Migration:
    """A migration written as SQL statements separated by semicolons."""
    def run(db: sqlite3.Connection) -> None:
        for statement in filter(str.strip, script.split(";")):
            db.execute(statement)
    return run


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    def _migrate(self) -> None:
        migrate(self._db, [_script(script) for script in _MIGRATIONS])

    # articles
    def article(self, url: str) -> ArticleRow | None:
        """The row for `url` or for the canonical URL it is an alias of."""
        alias = self._db.execute("SELECT canonical FROM aliases WHERE url = ?", (url,)).fetchone()
        row = self._db.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE url = ?",  # noqa: S608
                               (alias[0] if alias else url,)).fetchone()
        return ArticleRow(*row) if row else None

    def add_alias(self, url: str, canonical: str) -> None:
        if url != canonical:
            with self._tx() as db:
                db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (url, canonical))

    def save_article(self, url: str, source: str, now: float, **fields: object) -> None:
        """Insert or update the row of `url`; `fields` are column values to set."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO articles (url, source, first_seen) VALUES (?, ?, ?)", (url, source, now))
            if unknown := set(fields) - _WRITABLE:
                raise ValueError(f"not article columns: {sorted(unknown)}")
            if fields:
                assignments = ", ".join(f"{name} = ?" for name in fields)
                db.execute(f"UPDATE articles SET {assignments} WHERE url = ?", (*fields.values(), url))  # noqa: S608

    def fail_article(self, url: str, reason: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE articles SET failures = failures + 1, last_error = ? WHERE url = ?", (reason, url))

    def due_rechecks(self, sources: Iterable[str], now: float, recent_days: float, recheck_days: float,
                     batch: int) -> list[str]:
        """Stored articles to re-check: every recent one, then the longest unchecked of the rest."""
        srcs = list(sources)
        marks = ",".join("?" * len(srcs))
        base = f"FROM articles WHERE gone_at IS NULL AND path IS NOT NULL AND source IN ({marks})"
        recent_since, routine_before = now - recent_days * 86_400, now - recheck_days * 86_400
        recent = self._db.execute(f"SELECT url {base} AND COALESCE(published_ts, first_seen) >= ? "
                                  "ORDER BY published_ts DESC", (*srcs, recent_since)).fetchall()
        routine = self._db.execute(f"SELECT url {base} AND COALESCE(published_ts, first_seen) < ? "
                                   "AND COALESCE(last_check, 0) < ? ORDER BY last_check LIMIT ?",
                                   (*srcs, recent_since, routine_before, batch)).fetchall()
        return [r[0] for r in recent + routine]

    # feeds and sitemaps
    def document(self, url: str) -> tuple[str | None, str | None, float | None, str | None]:
        """ETag, Last-Modified, last fetch and the lastmod its sitemap index gave, of a feed or sitemap."""
        row = self._db.execute("SELECT etag, last_modified, last_fetch, lastmod FROM documents WHERE url = ?",
                               (url,)).fetchone()
        return (row[0], row[1], row[2], row[3]) if row else (None, None, None, None)

    def document_kind(self, url: str) -> str | None:
        row = self._db.execute("SELECT kind FROM documents WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def save_document(self, url: str, now: float, etag: str | None, last_modified: str | None,
                      kind: str | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO documents (url) VALUES (?)", (url,))
            db.execute("UPDATE documents SET etag = ?, last_modified = ?, last_fetch = ?, kind = COALESCE(?, kind) "
                       "WHERE url = ?", (etag, last_modified, now, kind, url))

    def save_lastmod(self, url: str, lastmod: str | None) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO documents (url) VALUES (?)", (url,))
            db.execute("UPDATE documents SET lastmod = ? WHERE url = ?", (lastmod, url))

    def listed(self, document: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT url FROM listings WHERE document = ?", (document,))}

    def replace_listing(self, document: str, source: str, urls: Iterable[str], now: float) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM listings WHERE document = ?", (document,))
            db.executemany("INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?)",
                           [(document, u, source, now) for u in urls])

    # sources
    def source(self, url: str) -> SourceStatus | None:
        row = self._db.execute(f"SELECT {_SOURCE_COLS} FROM sources WHERE url = ?", (url,)).fetchone()  # noqa: S608
        return SourceStatus(*row) if row else None

    def save_source(self, status: SourceStatus) -> None:
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO sources ({_SOURCE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                       (status.url, status.last_sync, status.new, status.updated, status.removed,
                        status.last_error, status.failures, status.next_retry))

    def sources(self) -> list[SourceStatus]:
        rows = self._db.execute(f"SELECT {_SOURCE_COLS} FROM sources ORDER BY url").fetchall()  # noqa: S608
        return [SourceStatus(*r) for r in rows]
