"""Subscriptions and the push outbox, in one SQLite file (stdlib sqlite3, WAL).

Every call opens its own short-lived connection, so the reindex thread (which
queues pushes) and the event loop's worker threads (which send them) never share
one. Schema changes are numbered migrations recorded in `PRAGMA user_version`.

Outbox row states: queued → sending → sent, or dropped (chat blocked the bot),
failed (Telegram refused it for good), unknown (a send whose outcome was lost).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.sqlitedb import migrate, transaction

MAX_ATTEMPTS = 5  # transient failures (5xx, dropped connections) before a push is given up


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    chat_id: int
    kind: str  # "topic" or "words"
    key: str  # accent-folded form: what makes two subscriptions the same
    label: str  # what the reader typed (or the topic's own name)
    created_at: float  # unix time


@dataclass(frozen=True, slots=True)
class Push:
    """One queued message: a new article for one chat."""

    id: int
    chat_id: int
    article: str  # the article's URL (or id): with chat_id, the key that never repeats
    html: str  # the whole message, rendered when queued
    line: str  # the linked title and date, for a digest


@dataclass(frozen=True, slots=True)
class NewPush:
    chat_id: int
    article: str
    html: str
    line: str


def _v1(db: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would commit the migration's transaction early.
    db.execute("CREATE TABLE subscription (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, kind TEXT NOT NULL, "
               "key TEXT NOT NULL, label TEXT NOT NULL, created_at REAL NOT NULL, UNIQUE (chat_id, key))")
    db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, "
               "article TEXT NOT NULL, html TEXT NOT NULL, line TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued', "
               "attempts INTEGER NOT NULL DEFAULT 0, digest INTEGER NOT NULL DEFAULT 0, queued_at REAL NOT NULL, "
               "sent_at REAL, UNIQUE (chat_id, article))")
    db.execute("CREATE INDEX outbox_state ON outbox (state, id)")
    db.execute("CREATE INDEX outbox_chat_sent ON outbox (chat_id, sent_at)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]


class Store:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            migrate(db, MIGRATIONS)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            # FULL: a "sent" mark must survive a power cut too, or the push would repeat.
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db, transaction(db):
            yield db

    # --- subscriptions -------------------------------------------------------------------
    def subscribe(self, chat_id: int, kind: str, key: str, label: str) -> bool:
        """False when the chat already follows `key`."""
        with self._write() as db:
            cur = db.execute("INSERT OR IGNORE INTO subscription (chat_id, kind, key, label, created_at) "
                             "VALUES (?, ?, ?, ?, ?)", (chat_id, kind, key, label, self.clock()))
            return cur.rowcount == 1

    def unsubscribe(self, chat_id: int, key: str | None = None, sub_id: int | None = None) -> str | None:
        """Remove one subscription of `chat_id` by key or id; its label, or None if there was none."""
        with self._write() as db:
            row = db.execute("SELECT id, label FROM subscription WHERE chat_id = ? AND (key = ? OR id = ?)",
                             (chat_id, key, sub_id)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM subscription WHERE id = ?", (row[0],))
            return str(row[1])

    def subscriptions(self, chat_id: int | None = None) -> list[Subscription]:
        with self._db() as db:
            rows = db.execute("SELECT id, chat_id, kind, key, label, created_at FROM subscription "
                              "WHERE ? IS NULL OR chat_id = ? ORDER BY id", (chat_id, chat_id)).fetchall()
        return [Subscription(*r) for r in rows]

    def forget_chat(self, chat_id: int) -> int:
        """A chat that blocked the bot: drop its subscriptions and everything still queued for it."""
        with self._write() as db:
            n = db.execute("DELETE FROM subscription WHERE chat_id = ?", (chat_id,)).rowcount
            db.execute("UPDATE outbox SET state = 'dropped' WHERE chat_id = ? AND state IN ('queued', 'sending')",
                       (chat_id,))
            return int(n)

    # --- the outbox ----------------------------------------------------------------------
    def enqueue(self, pushes: Iterable[NewPush]) -> int:
        """Queue pushes; one already queued (or sent) for the same chat and article is ignored."""
        now = self.clock()
        with self._write() as db:
            cur = db.executemany("INSERT OR IGNORE INTO outbox (chat_id, article, html, line, queued_at) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 [(p.chat_id, p.article, p.html, p.line, now) for p in pushes])
            return int(cur.rowcount)

    def pending(self, limit: int = 500) -> list[Push]:
        with self._db() as db:
            rows = db.execute("SELECT id, chat_id, article, html, line FROM outbox WHERE state = 'queued' "
                              "ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [Push(*r) for r in rows]

    def mark(self, ids: list[int], state: str, *, digest: bool = False, failed_attempt: bool = False) -> None:
        """Move rows to `state`; "sent" records the time (the hourly budget counts it).
        A failed attempt past MAX_ATTEMPTS turns "queued" into "failed"."""
        marks = ",".join("?" * len(ids))
        with self._write() as db:
            if failed_attempt:
                db.execute(f"UPDATE outbox SET attempts = attempts + 1 WHERE id IN ({marks})", ids)  # noqa: S608
            db.execute(f"UPDATE outbox SET state = CASE WHEN ? = 'queued' AND attempts >= ? THEN 'failed' "  # noqa: S608
                       f"ELSE ? END, digest = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                       f"WHERE id IN ({marks})",
                       [state, MAX_ATTEMPTS, state, int(digest), state, self.clock(), *ids])

    def recover(self) -> list[Push]:
        """At start: rows a crash left in "sending" become "unknown" (see delivery.py for why
        they are not sent again); returns them so they can be logged."""
        with self._write() as db:
            rows = db.execute("SELECT id, chat_id, article, html, line FROM outbox WHERE state = 'sending'"
                              ).fetchall()
            db.execute("UPDATE outbox SET state = 'unknown' WHERE state = 'sending'")
        return [Push(*r) for r in rows]

    def sent_since(self, chat_id: int, since: float) -> tuple[int, float | None, float | None]:
        """(single pushes sent since `since`, time of the oldest of them, time of the last digest)."""
        with self._db() as db:
            n, oldest = db.execute("SELECT count(*), min(sent_at) FROM outbox WHERE chat_id = ? AND state = 'sent' "
                                   "AND digest = 0 AND sent_at > ?", (chat_id, since)).fetchone()
            (last_digest,) = db.execute("SELECT max(sent_at) FROM outbox WHERE chat_id = ? AND state = 'sent' "
                                        "AND digest = 1 AND sent_at > ?", (chat_id, since)).fetchone()
        return int(n), oldest, last_digest

    def states(self) -> dict[str, int]:
        with self._db() as db:
            return dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
