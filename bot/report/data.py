"""The question log read back for editors: rows, and the numbers per day, topic and vote.

Only reads: the file is opened read-only, and the `user` column is never selected,
so nothing that comes out of here can show who asked."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

# The newsroom's day: Vietnam is UTC+7 all year (no daylight saving time).
TZ = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True, slots=True)
class Row:
    at: float
    question: str
    answered: bool
    confidence: float | None
    hits: tuple[str, ...]
    topics: tuple[str, ...]
    latency_ms: float | None
    vote: int | None
    chat_type: str | None


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    questions: int
    answered: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def answered_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None


def day_of(at: float) -> date:
    return datetime.fromtimestamp(at, TZ).date()


def start_of(day: date) -> float:
    """Unix time of midnight (Vietnam time) starting `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=TZ).timestamp()


def read(path: Path, since: float | None = None, until: float | None = None) -> list[Row]:
    """Rows with since <= at < until, oldest first."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no question log (QUESTION_LOG_FILE)")
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        cur = db.execute(
            "SELECT at, question, answered, confidence, hits, topics, latency_ms, vote, chat_type FROM questions"
            " WHERE at >= ? AND at < ? ORDER BY at, id",
            (since if since is not None else float("-inf"), until if until is not None else float("inf")))
        return [Row(float(at), q, bool(ans), conf, tuple(json.loads(hits)), tuple(json.loads(topics)), lat, vote, chat)
                for at, q, ans, conf, hits, topics, lat, vote, chat in cur]
    finally:
        db.close()


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, statistics' "inclusive")."""
    return float(np.percentile(np.asarray(values, dtype=float), p)) if values else None


def per_day(rows: Iterable[Row], first: date | None = None, last: date | None = None) -> list[Day]:
    """One entry per calendar day from `first` to `last` (days without questions included:
    a gap in the chart is information)."""
    by_day: dict[date, list[Row]] = {}
    for r in rows:
        by_day.setdefault(day_of(r.at), []).append(r)
    if not by_day and (first is None or last is None):
        return []
    lo = first or min(by_day)
    hi = last or max(by_day)
    out = []
    for i in range((hi - lo).days + 1):
        d = lo + timedelta(days=i)
        rs = by_day.get(d, [])
        lat = [r.latency_ms for r in rs if r.latency_ms is not None]
        out.append(Day(d, len(rs), sum(r.answered for r in rs), percentile(lat, 50), percentile(lat, 95)))
    return out


def topic_counts(rows: Iterable[Row]) -> list[tuple[str, int]]:
    """Topics of the first hit of answered questions, most asked first (a refused question's
    nearest article is a guess, so it does not count here)."""
    counts: Counter[str] = Counter()
    for r in rows:
        if r.answered:
            counts.update(set(r.topics))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def votes(rows: Iterable[Row]) -> tuple[int, int]:
    """(👍, 👎)."""
    vs = [r.vote for r in rows]
    return vs.count(1), vs.count(-1)


def unanswered(rows: Iterable[Row]) -> list[str]:
    return [r.question for r in rows if not r.answered]
