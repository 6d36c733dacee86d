"""The newsroom report: what readers asked, what was answered, and what the paper has not written.

`python -m bot report` writes report.html and its PNG charts; `/baocao` sends a week of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.report import charts, data, page
from bot.report.clusters import Cluster, cluster
from bot.report.data import Day
from index.answer import Engine

__all__ = ["Report", "build", "week", "write"]
CHARTS = ("daily", "latency", "topics", "votes")


@dataclass(frozen=True, slots=True)
class Report:
    first: date | None
    last: date | None
    days: list[Day]
    topics: list[tuple[str, int]]
    up: int
    down: int
    clusters: list[Cluster]

    @property
    def questions(self) -> int:
        return sum(d.questions for d in self.days)

    @property
    def answered(self) -> int:
        return sum(d.answered for d in self.days)

    @property
    def period(self) -> str:
        if self.first is None or self.last is None:
            return "chưa có câu hỏi"
        return f"{self.first.strftime('%d/%m/%Y')} – {self.last.strftime('%d/%m/%Y')}"


def build(log_path: Path, since: date | None = None, until: date | None = None,
          engine: Engine | None = None) -> Report:
    """The numbers for days since..until (inclusive, Vietnam time); all the log holds by default."""
    rows = data.read(log_path, data.start_of(since) if since else None,
                     data.start_of(until + timedelta(days=1)) if until else None)
    days = data.per_day(rows, since, until)
    up, down = data.votes(rows)
    return Report(days[0].day if days else since, days[-1].day if days else until, days,
                  data.topic_counts(rows), up, down, cluster(data.unanswered(rows), engine))


def week(log_path: Path, today: date, engine: Engine | None = None) -> tuple[Report, bytes]:
    """The last seven days up to `today`, and the one chart /baocao sends."""
    rep = build(log_path, today - timedelta(days=6), today, engine)
    return rep, charts.week(rep.days, rep.topics)


def write(rep: Report, out: Path) -> list[Path]:
    """report.html and one PNG per chart into `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    pngs = {"daily": charts.daily(rep.days), "latency": charts.latency(rep.days),
            "topics": charts.topics(rep.topics), "votes": charts.votes(rep.up, rep.down)}
    paths = []
    for name in CHARTS:
        paths.append(_write(out / f"{name}.png", pngs[name]))
    html = page.render(rep.period, rep.days, rep.topics, rep.up, rep.down, rep.clusters, pngs)
    paths.append(_write(out / "report.html", html.encode("utf-8")))
    return paths


def _write(path: Path, content: bytes) -> Path:
    """Write then rename: a browser open on the old page never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path
