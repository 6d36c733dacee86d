"""The alert queue and its worker, driven by a fake clock and a fake sender: deterministic."""

from __future__ import annotations

import sqlite3
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram.error import Forbidden, RetryAfter, TimedOut

from bot.alerts import matching
from bot.alerts.delivery import Throttle, Worker
from bot.alerts.store import NewPush, Store
from index.articles import Article
from index.text import Analyzer


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


class Crash(BaseException):
    """Stands for the process dying in the middle of a send (nothing after it runs)."""


class Sender:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[tuple[int, str, float]] = []
        self.errors: deque[BaseException | None] = deque()  # None: this call succeeds

    async def __call__(self, chat_id: int, text: str) -> None:
        err = self.errors.popleft() if self.errors else None
        if err is not None:
            raise err
        self.sent.append((chat_id, text, self.clock()))


def _worker(path: Path, clock: Clock, sender: Sender, per_hour: int = 10) -> Worker:
    return Worker(Store(path, clock), sender, clock=clock, throttle=Throttle(clock), sleep=clock.sleep,
                  per_hour=per_hour)


def _pushes(chat: int, n: int, start: int = 0) -> list[NewPush]:
    return [NewPush(chat, f"https://e.org/{i}", f"push {i}", f'<a href="https://e.org/{i}">Bài {i}</a>')
            for i in range(start, start + n)]


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_each_push_once_in_order_and_duplicates_ignored(tmp_path: Path, clock: Clock) -> None:
    sender = Sender(clock)
    worker = _worker(tmp_path / "a.db", clock, sender)
    assert worker.store.enqueue(_pushes(1, 3) + _pushes(2, 2, start=3)) == 5
    assert worker.store.enqueue(_pushes(1, 3)) == 0  # same chat and article: never queued twice
    assert await worker.drain() == 5
    assert [(c, t) for c, t, _ in sender.sent] == [(1, "push 0"), (1, "push 1"), (1, "push 2"),
                                                   (2, "push 3"), (2, "push 4")]
    assert await worker.drain() == 0
    assert worker.store.states() == {"sent": 5}


async def test_ten_an_hour_then_one_digest_then_wait(tmp_path: Path, clock: Clock) -> None:
    sender = Sender(clock)
    worker = _worker(tmp_path / "a.db", clock, sender)
    worker.store.enqueue(_pushes(7, 13))
    assert await worker.drain() == 11
    singles, digest = sender.sent[:10], sender.sent[10][1]
    assert [t for _, t, _ in singles] == [f"push {i}" for i in range(10)]
    assert "Thêm 3 bài mới" in digest and all(f"Bài {i}" in digest for i in (10, 11, 12))
    worker.store.enqueue(_pushes(7, 2, start=20))
    assert await worker.drain() == 0  # budget and digest spent: they wait for the hour to pass
    clock.t += 3600
    assert await worker.drain() == 2 and sender.sent[-1][1] == "push 21"


async def test_retry_after_waits_and_keeps_the_order(tmp_path: Path, clock: Clock) -> None:
    sender = Sender(clock)
    worker = _worker(tmp_path / "a.db", clock, sender)
    worker.store.enqueue(_pushes(1, 4))
    sender.errors.extend([None, RetryAfter(7), RetryAfter(7), None])
    t0 = clock()
    assert await worker.drain() == 4
    assert [t for _, t, _ in sender.sent] == ["push 0", "push 1", "push 2", "push 3"]
    assert sender.sent[1][2] - t0 >= 14  # it waited both retry_after periods before the retry


async def test_blocked_chat_is_unsubscribed_and_its_queue_dropped(tmp_path: Path, clock: Clock) -> None:
    sender = Sender(clock)
    worker = _worker(tmp_path / "a.db", clock, sender)
    worker.store.subscribe(1, "words", "gia lua", "giá lúa")
    worker.store.subscribe(2, "words", "gia lua", "giá lúa")
    worker.store.enqueue(_pushes(1, 2) + _pushes(2, 1, start=5))
    sender.errors.append(Forbidden("Forbidden: bot was blocked by the user"))
    assert await worker.drain() == 1
    assert [s.chat_id for s in worker.store.subscriptions()] == [2]
    assert worker.store.states() == {"dropped": 2, "sent": 1}


async def test_crash_before_sending_loses_nothing_and_sends_nothing_twice(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "a.db"
    sender = Sender(clock)
    first = _worker(path, clock, sender)
    first.store.enqueue(_pushes(1, 3))
    sender.errors.extend([None, Crash()])  # the first push goes out, the process dies during the second
    with pytest.raises(Crash):
        await first.drain()
    del first  # abandoned mid-way, as a killed process would be
    with sqlite3.connect(path) as db:
        assert dict(db.execute("SELECT article, state FROM outbox")) == {
            "https://e.org/0": "sent", "https://e.org/1": "sending", "https://e.org/2": "queued"}
    restarted = _worker(path, clock, sender)
    assert await restarted.drain() == 1
    assert await restarted.drain() == 0
    # The queued push arrives once; the one in flight at the crash is not repeated (see delivery.py).
    assert [t for _, t, _ in sender.sent] == ["push 0", "push 2"]
    assert restarted.store.states() == {"sent": 2, "unknown": 1}


async def test_timeout_is_not_resent(tmp_path: Path, clock: Clock) -> None:
    sender = Sender(clock)
    worker = _worker(tmp_path / "a.db", clock, sender)
    worker.store.enqueue(_pushes(1, 2))
    sender.errors.append(TimedOut())
    assert await worker.drain() == 1
    assert worker.store.states() == {"unknown": 1, "sent": 1}


async def test_throttle_30_per_second_overall_20_per_minute_per_group(tmp_path: Path, clock: Clock) -> None:
    sender = Sender(clock)
    worker = _worker(tmp_path / "a.db", clock, sender, per_hour=100)
    worker.store.enqueue([p for chat in range(1, 46) for p in _pushes(chat, 1, start=chat)])
    assert await worker.drain() == 45
    times = [t for _, _, t in sender.sent]
    assert max(sum(1 for u in times if t <= u < t + 1) for t in times) <= 30
    worker.store.enqueue(_pushes(-100, 25))
    assert await worker.drain() == 20  # the 21st would break 20/min into one group: left for later
    clock.t += 60
    assert await worker.drain() == 5


def test_store_migrates_once(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").subscribe(1, "topic", "y te", "Y tế")
    store = Store(tmp_path / "a.db")
    with sqlite3.connect(tmp_path / "a.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [s.label for s in store.subscriptions(1)] == ["Y tế"]
    assert store.unsubscribe(1, "y te") == "Y tế" and store.subscriptions() == []


def _article(title: str, published: str | None, topics: tuple[str, ...] = ()) -> Article:
    return Article(id=title, url=f"https://e.org/{len(title)}", title=title, published=published, topics=topics,
                   lede=f"(Baohatinh.vn) - {title}.", captions=(), text=f"{title}. Nội dung bài viết.")


def test_matching_topics_keywords_and_dates(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    store.subscribe(1, "topic", "y te", "Y tế")
    store.subscribe(2, "words", "cau rao tre", "cau rao tre")  # keywords typed without marks
    subs = store.subscriptions()
    today = datetime.fromtimestamp(subs[0].created_at, UTC).astimezone(matching.VIETNAM).date().isoformat()
    arts = [_article("Bệnh viện mới", today, ("Y Tế",)), _article("Cầu Rào Tre thông xe", None),
            _article("Cầu Rào Tre khởi công", "2020-01-01"), _article("Giá lúa", today, ("Nông nghiệp",))]
    pushes = matching.pushes(subs, arts, Analyzer())
    assert [(p.chat_id, p.article) for p in pushes] == [(1, arts[0].url), (2, arts[1].url)]
    assert "Bài mới" in pushes[0].html and "Bệnh viện mới" in pushes[0].html and "🗂 Y Tế" in pushes[0].html
