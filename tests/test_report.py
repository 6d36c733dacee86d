"""The newsroom report: numbers that match the log, a self-contained page, clusters of
unanswered questions, `python -m bot report`, and /baocao for admins only."""

from __future__ import annotations

import base64
import contextlib
import re
import sqlite3
import statistics
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bot.__main__ import main
from bot.questionlog import DAY, Entry, QuestionLog
from bot.report import build, clusters, write
from index.answer import Engine
from index.build import build as build_index
from index.generation import load
from index.text import Analyzer
from tests.bot_harness import ADMIN, READER, running_bot
from tests.conftest import SAMPLE

VN = timezone(timedelta(hours=7))
PNG = b"\x89PNG\r\n\x1a\n"
# Four subjects the sample articles do not cover, each asked several ways (with and without marks).
SUBJECTS = {
    "vàng": ["Giá vàng hôm nay bao nhiêu?", "gia vang hom nay the nao", "Hôm nay giá vàng SJC tăng hay giảm?",
             "Giá vàng miếng SJC bao nhiêu một lượng?"],
    "bão": ["Bão số 3 có đổ bộ vào Hà Tĩnh không?", "Khi nào bão số 3 vào Hà Tĩnh?", "bao so 3 do bo luc nao",
            "Cơn bão số 3 đi đến đâu rồi?"],
    "điện": ["Lịch cắt điện ở Kỳ Anh tuần này?", "Tuần này Kỳ Anh có cắt điện không?", "lich cat dien ky anh"],
    "bóng đá": ["Hồng Lĩnh Hà Tĩnh đá với ai vòng tới?", "Lịch thi đấu của CLB Hồng Lĩnh Hà Tĩnh",
                "CLB Hồng Lĩnh Hà Tĩnh thi đấu khi nào?"],
}


def subject_of(question: str) -> str:
    return next(s for s, qs in SUBJECTS.items() if question in qs)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    idx = tmp_path_factory.mktemp("idx")
    build_index([SAMPLE], idx, None)
    return Engine(load(idx))


def at(day: date, hour: int) -> float:
    return datetime(day.year, day.month, day.day, hour, tzinfo=VN).timestamp()


def fill(path: Path, today: date) -> list[Entry]:
    """A fortnight of questions with known answers, votes, latencies and topics."""
    qlog = QuestionLog(path, b"test-secret")
    entries = []
    rng = np.random.default_rng(0)
    for d in range(10):
        day = today - timedelta(days=9 - d)
        for i in range(int(rng.integers(2, 6))):
            answered = bool(i % 3)
            entries.append(Entry(at(day, 8 + i), f"Câu hỏi {d}-{i} về lúa hè thu", answered, 0.5,
                                 ("a1",) if answered else (), ("Nông nghiệp", "Kinh tế") if i % 2 else ("Y tế",),
                                 float(rng.integers(20, 400)), vote=(1, -1, None)[i % 3], chat_type="private"))
    for n, qs in enumerate(SUBJECTS.values()):
        for k, q in enumerate(qs * (4 - n)):  # subjects asked 4, 3, 2, 1 rounds: a known ranking
            entries.append(Entry(at(today - timedelta(days=k % 5), 20), q, False, 0.1, latency_ms=50.0,
                                 chat_type="group"))
    for e in entries:
        qlog.record(e, user_id=777_000_123)
    return entries


class Page(HTMLParser):
    """Tables as {id: rows of cell texts}, images' src, and every text node."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.imgs: list[str] = []
        self.tags: set[str] = set()
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.imgs.append(a.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def pct(p: float, values: list[float]) -> str:
    """Percentile computed another way than the report does (statistics, not numpy)."""
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[int(p) - 1]:.0f}"


def test_report_page_numbers_match_the_log(tmp_path: Path, engine: Engine) -> None:
    today = date(2026, 11, 20)
    entries = fill(tmp_path / "q.sqlite3", today)
    since = today - timedelta(days=6)
    paths = write(build(tmp_path / "q.sqlite3", since, engine=engine), tmp_path / "out")
    assert sorted(p.name for p in paths) == ["daily.png", "latency.png", "report.html", "topics.png", "votes.png"]
    assert all(p.read_bytes().startswith(PNG) for p in paths if p.suffix == ".png")
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    # self-contained: four inline PNG charts, nothing fetched from anywhere
    assert len(page.imgs) == 4 and all(src.startswith("data:image/png;base64,") for src in page.imgs)
    assert all(base64.b64decode(src.split(",", 1)[1]).startswith(PNG) for src in page.imgs)
    assert not {"script", "link", "iframe"} & page.tags and "http" not in re.sub(r'href="https?://[^"]+"', "", text)
    # the numbers, computed here from the entries
    kept = [e for e in entries if datetime.fromtimestamp(e.at, VN).date() >= since]
    summary = {r[0]: r[1] for r in page.tables["summary"]}
    answered = sum(e.answered for e in kept)
    assert summary["Câu hỏi"] == str(len(kept)) and summary["Đã trả lời"] == str(answered)
    assert summary["Tỷ lệ trả lời"] == f"{100 * answered / len(kept):.1f}%"
    assert summary["👍 Hữu ích"] == str(sum(e.vote == 1 for e in kept))
    assert summary["👎 Chưa hữu ích"] == str(sum(e.vote == -1 for e in kept))
    by_day: dict[str, list[Entry]] = defaultdict(list)
    for e in kept:
        by_day[datetime.fromtimestamp(e.at, VN).strftime("%d/%m/%Y")].append(e)
    days = page.tables["days"][1:]
    assert [r[0] for r in days] == [(since + timedelta(days=i)).strftime("%d/%m/%Y") for i in range(7)]
    for day, n, ok, _, p50, p95 in days:
        es = by_day[day]
        lat = [e.latency_ms for e in es if e.latency_ms is not None]
        assert (n, ok, p50, p95) == (str(len(es)), str(sum(e.answered for e in es)), pct(50, lat), pct(95, lat))
    topics: dict[str, int] = defaultdict(int)
    for e in kept:
        for t in set(e.topics) if e.answered else ():
            topics[t] += 1
    assert {r[0]: int(r[1]) for r in page.tables["topics"][1:]} == topics
    # no user id and no user hash anywhere on the page
    with contextlib.closing(sqlite3.connect(tmp_path / "q.sqlite3")) as db:
        hashes = {u for (u,) in db.execute("SELECT DISTINCT user FROM questions")}
    assert hashes and all(h not in text for h in hashes) and "777000123" not in text


def test_unanswered_questions_are_ranked_by_size_with_examples_and_closest_article(tmp_path: Path,
                                                                                   engine: Engine) -> None:
    today = date(2026, 11, 20)
    fill(tmp_path / "q.sqlite3", today)
    rep = build(tmp_path / "q.sqlite3", today - timedelta(days=30), today, engine)
    unanswered_fillers = [c for c in rep.clusters if "lúa hè thu" in c.examples[0]]
    gaps = [c for c in rep.clusters if c not in unanswered_fillers]
    assert [subject_of(c.examples[0]) for c in gaps] == list(SUBJECTS)  # ranked by how often asked
    assert [c.size for c in gaps] == [len(qs) * (4 - n) for n, qs in enumerate(SUBJECTS.values())]
    assert all(len(c.examples) == 3 and len({subject_of(q) for q in c.examples}) == 1 for c in gaps)
    assert all(c.closest is not None and c.closest.url for c in gaps)
    page = Page()
    (tmp_path / "out").mkdir()
    write(rep, tmp_path / "out")
    page.feed((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    sizes = [int(r[1]) for r in page.tables["clusters"][1:]]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == sum(c.size for c in rep.clusters)


@pytest.mark.parametrize("with_index", [False, True])
def test_clustering_keeps_paraphrases_together_and_subjects_apart(engine: Engine, with_index: bool) -> None:
    questions = [q for qs in SUBJECTS.values() for q in qs]
    got = clusters.cluster(questions, engine if with_index else None)
    assert len(got) == len(SUBJECTS)
    for c in got:
        members = [q for q in questions if q in c.examples]
        assert len({subject_of(q) for q in members}) == 1
    assert sorted(c.size for c in got) == sorted(len(qs) for qs in SUBJECTS.values())


def test_embeddings_join_paraphrases_that_share_no_word() -> None:
    fuel = ["Xăng RON 95 tăng chưa?", "Giá nhiên liệu tuần này thế nào?"]
    others = [q for qs in SUBJECTS.values() for q in qs]
    axis = {q: i for i, q in enumerate(SUBJECTS)}

    def embed(q: str) -> np.ndarray:  # a stand-in model: one direction per subject
        v = np.zeros(len(SUBJECTS) + 1)
        v[len(SUBJECTS) if q in fuel else axis[subject_of(q)]] = 1.0
        return v

    lexical_only = clusters.cluster(fuel + others, analyzer=Analyzer())
    assert not any(set(fuel) <= set(c.examples) for c in lexical_only)
    both = clusters.cluster(fuel + others, analyzer=Analyzer(), embed=embed)
    assert any(set(fuel) == set(c.examples) for c in both) and len(both) == len(SUBJECTS) + 1


def test_python_m_bot_report(tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    fill(tmp_path / "q.sqlite3", date(2026, 11, 20))
    monkeypatch.setenv("INDEX_DIR", str(engine.gen.path.parent.parent))
    monkeypatch.setenv("EMBEDDING_MODEL", "none")
    assert main(["report", "--log", str(tmp_path / "q.sqlite3"), "--since", "2026-11-14", "--out",
                 str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "out" / "report.html") in out and str(tmp_path / "out" / "daily.png") in out
    assert re.search(r" 1\.\s+\d+× Giá vàng hôm nay bao nhiêu\?", out)
    assert main(["report", "--log", str(tmp_path / "none.sqlite3")]) == 1


async def test_baocao_for_admins_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(tmp_path, caplog) as bot:
        qlog = QuestionLog(tmp_path / "var" / "questions.sqlite3", b"unused")
        now = time.time()
        for q in SUBJECTS["bão"] + SUBJECTS["vàng"][:2]:
            qlog.record(Entry(now - 2 * DAY, q, False, 0.1, latency_ms=30.0))
        qlog.record(Entry(now - 20 * DAY, "Giá xăng cũ tuần trước nữa?", False))  # outside the 7 days
        [refused] = await bot.ask("/baocao", uid=READER)
        assert "chỉ dành cho quản trị viên" in refused and not bot.fake.sent("sendPhoto")
        [summary] = await bot.ask("/baocao", uid=ADMIN)
        [photo] = bot.fake.sent("sendPhoto", ADMIN)
        assert photo.params["photo"].startswith(PNG)
        assert "Câu hỏi: 6 · đã trả lời: 0" in summary
        assert "1. «Bão số 3 có đổ bộ vào Hà Tĩnh không?» — 4 lần" in summary
        assert "2. «Giá vàng hôm nay bao nhiêu?» — 2 lần" in summary and "xăng" not in summary
        assert not bot.fake.sent("sendPhoto", READER)
