"""The question log: what readers asked, answered or not, in one SQLite file.

Kept so editors can see what readers want and what the paper has not written.
A reader is stored only as an HMAC of their user id under a secret that never
leaves the server, and questions are masked (phones, ID numbers, emails) before
they are written. Rows older than the retention period are deleted daily.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.answer import Answer
from index.sqlitedb import migrate, transaction

log = logging.getLogger(__name__)

DAY = 86400
SECRET_FILE = "question-log.secret"  # noqa: S105 - a file name, not a secret

# Emails first (their digits must not look like a phone), then phones, then ID numbers.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese phones: 0 / +84 / (+84) / 0084, then 9–10 digits, grouped by spaces, dots or dashes
# (0912 345 678, 0912.345.678, +84 912 345 678, 0239 3855 555).
_PHONE = re.compile(r"(?<![\w+])(?:\(\+84\)|\+84|0084|0)[ .\-]?\d(?:[ .\-]?\d){8,9}(?![\w])")
# CCCD: 12 digits (also 3-3-3-3 with spaces); CMND: 9 digits. Dots are left alone:
# "100.000.000.000 đồng" is money, not an ID.
_CCCD = re.compile(r"(?<![\w.,])\d{3}(?: ?\d{3}){3}(?![\w]|[.,]\d)")
_CMND = re.compile(r"(?<![\w.,])\d{9}(?![\w]|[.,]\d)")
MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_EMAIL, "[email]"), (_PHONE, "[số điện thoại]"), (_CCCD, "[số CCCD]"), (_CMND, "[số CMND]"))


def mask(text: str) -> str:
    """The question with personal data replaced by placeholders, before anything stores it."""
    for pattern, placeholder in MASKS:
        text = pattern.sub(placeholder, text)
    return text


def load_secret(directory: Path, env_value: str | None) -> bytes:
    """QUESTION_LOG_SECRET, or a random secret generated once into `directory` (mode 0600)."""
    if env_value:
        return env_value.encode()
    path = directory / SECRET_FILE
    directory.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode()
    with os.fdopen(fd, "w", encoding="ascii") as fh:  # O_EXCL: two starting processes never race
        fh.write(secrets.token_hex(32) + "\n")
    log.info("generated the question log secret in %s", path)
    return path.read_text(encoding="ascii").strip().encode()


@dataclass(frozen=True, slots=True)
class Entry:
    """One question as the log keeps it (`at` in Unix seconds, UTC)."""

    at: float
    question: str
    answered: bool
    confidence: float | None = None
    hits: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    latency_ms: float | None = None
    vote: int | None = None
    chat_type: str | None = None


def _m1(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE questions (
        id INTEGER PRIMARY KEY, at REAL NOT NULL, question TEXT NOT NULL, answered INTEGER NOT NULL,
        confidence REAL, hits TEXT NOT NULL DEFAULT '[]', topics TEXT NOT NULL DEFAULT '[]',
        latency_ms REAL, vote INTEGER, chat_type TEXT, user TEXT)""")
    db.execute("CREATE INDEX questions_at ON questions(at)")
    db.execute("CREATE INDEX questions_user ON questions(user, question)")
    # Imported files by content hash: a crash between import and rename must not import twice.
    db.execute("CREATE TABLE imports (sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, at REAL NOT NULL)")


MIGRATIONS: Sequence[Callable[[sqlite3.Connection], None]] = (_m1,)  # user_version N = first N applied


def connect(path: Path) -> sqlite3.Connection:
    """Open the log database (creating and migrating it); autocommit, so transactions are explicit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # readers' questions: owner-only, like the secret (SQLite gives -wal/-shm the same)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    db = sqlite3.connect(path, isolation_level=None, timeout=10)
    db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a power cut loses at most the last rows
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")  # persistent: set once, by whoever creates the file
    migrate(db, MIGRATIONS)
    return db


class QuestionLog:
    """One short-lived connection per write: safe from any thread, nothing to close."""

    def __init__(self, path: Path, secret: bytes) -> None:
        self.path = path
        self._secret = secret
        connect(path).close()  # create and migrate now, not on the first reader's question

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = connect(self.path)
        try:
            with transaction(db):
                yield db
        finally:
            db.close()

    def user_key(self, user_id: int | None) -> str | None:
        """HMAC-SHA256 of the user id: equal for one reader, useless without the secret."""
        if user_id is None:
            return None
        return hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).hexdigest()

    def record(self, entry: Entry, user_id: int | None = None) -> int:
        """Store one question (masked here, whoever calls); returns its row id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO questions (at, question, answered, confidence, hits, topics, latency_ms, vote,"
                " chat_type, user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.at, mask(entry.question), int(entry.answered), entry.confidence,
                 json.dumps(list(entry.hits), ensure_ascii=False),
                 json.dumps(list(entry.topics), ensure_ascii=False), entry.latency_ms, entry.vote,
                 entry.chat_type, self.user_key(user_id)))
            return int(cur.lastrowid or 0)

    def vote(self, question: str, vote: int, user_id: int | None, hits: Sequence[str] = (),
             chat_type: str | None = None, at: float | None = None) -> None:
        """👍 (1) / 👎 (-1) on this reader's latest asking of `question`; a later vote replaces it.
        A vote on a question the log does not hold (asked before the log existed) is kept alone."""
        user = self.user_key(user_id)
        with self._tx() as db:
            row = db.execute("SELECT id FROM questions WHERE user IS ? AND question = ? ORDER BY at DESC LIMIT 1",
                             (user, mask(question))).fetchone()
            if row is not None:
                db.execute("UPDATE questions SET vote = ? WHERE id = ?", (vote, row[0]))
                return
            db.execute("INSERT INTO questions (at, question, answered, hits, vote, chat_type, user)"
                       " VALUES (?, ?, 1, ?, ?, ?, ?)",
                       (time.time() if at is None else at, mask(question), json.dumps(list(hits)), vote,
                        chat_type, user))

    def purge(self, days: int, now: float | None = None) -> int:
        """Delete rows older than `days` days before `now`; returns how many went."""
        cutoff = (time.time() if now is None else now) - days * DAY
        with self._tx() as db:
            return db.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount

    def import_feedback(self, path: Path) -> int:
        """Move the old 👍/👎 JSONL into the log once, then rename it to *.migrated.

        Its user field was an unsalted hash (reversible by hashing candidate ids), so
        it is not carried over; neither are malformed lines."""
        if not path.is_file():
            return 0
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        rows = list(_feedback_rows(data))
        added = 0
        with self._tx() as db:
            if db.execute("SELECT 1 FROM imports WHERE sha256 = ?", (digest,)).fetchone() is None:
                db.executemany("INSERT INTO questions (at, question, answered, hits, vote) VALUES (?, ?, 1, ?, ?)",
                               [(at, mask(q), json.dumps(hits, ensure_ascii=False), v) for at, q, hits, v in rows])
                db.execute("INSERT INTO imports VALUES (?, ?, ?)", (digest, str(path), time.time()))
                added = len(rows)
        path.replace(path.with_name(path.name + ".migrated"))
        log.info("moved %d feedback lines from %s into the question log", added, path)
        return added


def _feedback_rows(data: bytes) -> Iterator[tuple[float, str, list[str], int]]:
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
            at = float(calendar.timegm(time.strptime(rec["time"], "%Y-%m-%dT%H:%M:%SZ")))
            vote = int(rec["vote"])
            question = str(rec["question"])
        except (ValueError, KeyError, TypeError):
            continue
        if vote in (1, -1):
            yield at, question, [str(h) for h in rec.get("hits") or []], vote


def open_log(path: Path | None, secret: str | None, feedback_file: Path | None = None) -> QuestionLog | None:
    """The log named by the settings (None when QUESTION_LOG=off), with old feedback moved in."""
    if path is None:
        return None
    qlog = QuestionLog(path, load_secret(path.parent, secret))
    if feedback_file is not None:
        qlog.import_feedback(feedback_file)
    return qlog


# --- what the bot and the console call: a failing log must never cost a reader the answer ---

def chat_kind(chat_type: str | None) -> str | None:
    """Telegram's chat types as the report groups them (a supergroup is a group to editors)."""
    return "group" if chat_type in ("group", "supergroup") else chat_type


def entry(ans: Answer, latency_ms: float | None, chat_type: str | None, at: float | None = None) -> Entry:
    first = ans.hits[0] if ans.hits else None
    return Entry(at=time.time() if at is None else at, question=ans.question,
                 answered=ans.answered and bool(ans.hits), confidence=ans.confidence,
                 hits=tuple(h.article_id for h in ans.hits), topics=first.topics if first else (),
                 latency_ms=latency_ms, chat_type=chat_kind(chat_type))


def record_safely(qlog: QuestionLog | None, item: Entry, user_id: int | None = None) -> None:
    if qlog is None:
        return
    try:
        qlog.record(item, user_id)
    except sqlite3.Error:
        log.exception("question log write failed (the answer was still given)")


async def remember(qlog: QuestionLog | None, ans: Answer, latency_ms: float, chat_type: str | None,
                   user_id: int | None) -> None:
    """Log one asked question from a handler, off the event loop."""
    if qlog is not None:
        await asyncio.to_thread(record_safely, qlog, entry(ans, latency_ms, chat_type), user_id)


async def remember_vote(qlog: QuestionLog | None, question: str, vote: int, user_id: int | None,
                        hits: Sequence[str], chat_type: str | None) -> None:
    if qlog is None:
        return
    try:
        await asyncio.to_thread(qlog.vote, question, vote, user_id, hits, chat_kind(chat_type))
    except sqlite3.Error:
        log.exception("question log vote failed")
