"""The live paper end to end: the real bot (fake Bot API) follows a fixture news site's
feed by itself; a new article becomes answerable with no admin action, and a page that
turns 410 leaves every answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.handlers.sources import sources_text
from bot.service import IndexService
from index.fetch import source_status
from tests.bot_harness import ADMIN, Bot, running_bot
from tests.news_site import NewsSite

QUESTION = "Đèn tín hiệu ở ngã tư Trần Phú lắp bao nhiêu cột?"
TITLE = "Ngã tư Trần Phú có đèn tín hiệu thông minh"


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[NewsSite]:
    monkeypatch.setenv("FETCH_DELAY", "0")
    s = NewsSite().start()
    s.robots_txt = "User-agent: *\nDisallow: /private/\n"
    s.add_article("/le-hoi-dua-thuyen-post1001.html", "Hội đua thuyền trên sông Lam thu hút du khách",
                  "Hội đua thuyền truyền thống năm nay có mười hai đội tham gia.",
                  ["Ban tổ chức cho biết giải thưởng cao nhất là 30 triệu đồng."], topics=["Văn hóa"])
    yield s
    s.stop()


def _vietnam_now() -> str:
    return datetime.now(UTC).astimezone(timezone(timedelta(hours=7))).strftime("%Y-%m-%dT%H:%M:%S%z")


async def _until(pred: Callable[[], bool], limit: float = 60.0) -> bool:
    """Poll a condition (syncs run on the bot's clock); never asserts a duration."""
    for _ in range(int(limit / 0.05)):
        if pred():
            return True
        await asyncio.sleep(0.05)
    return pred()


def _titles(svc: IndexService) -> set[str]:
    return {a.title for a in svc.engine.gen.live_articles} if svc.engine else set()


async def test_bot_follows_the_feed_new_article_answered_then_taken_down(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, site: NewsSite) -> None:
    feed = site.url + "/rss/home.rss"
    async with running_bot(tmp_path, caplog, sources=(feed,), sync_minutes=0.005) as b:
        svc = b.svc
        assert await _until(lambda: "Hội đua thuyền trên sông Lam thu hút du khách" in _titles(svc))
        assert TITLE not in _titles(svc)
        # published now: a recent article, re-checked with a conditional GET on every sync
        site.add_article("/den-tin-hieu-post1002.html", TITLE,
                         "Ngã tư Trần Phú vừa được lắp hệ thống đèn tín hiệu tự điều chỉnh theo lưu lượng xe.",
                         ["Công trình gồm 8 cột đèn và 4 camera đếm phương tiện, kinh phí 2,1 tỷ đồng.",
                          "Sở Giao thông vận tải cho biết thời gian chờ đèn đỏ giảm khoảng 20%."],
                         published=_vietnam_now(), topics=["Giao thông"])
        assert await _until(lambda: TITLE in _titles(svc)), "the new article never reached the index"
        reply = Bot.plain((await b.ask(QUESTION))[0])
        assert TITLE in reply and "8 cột đèn" in reply
        assert svc.engine is not None and svc.engine.gen.delta is not None  # an update, not a rebuild

        site.set_status("/den-tin-hieu-post1002.html", 410)
        assert await _until(lambda: TITLE not in _titles(svc)), "the takedown never reached the index"
        reply = Bot.plain((await b.ask(QUESTION))[0])
        assert TITLE not in reply and "8 cột đèn" not in reply

        # admins see each source's last sync and counts
        [text] = await b.ask("/sources", uid=ADMIN)
        assert feed in text and "gỡ 1" in text and "lần cuối" in text
    assert not list((b.articles / "127.0.0.1").glob("*.jsonl")) or all(
        "den-tin-hieu" not in p.read_text(encoding="utf-8") for p in (b.articles / "127.0.0.1").glob("*.jsonl"))


async def test_failing_source_never_stops_the_bot_or_other_sources(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, site: NewsSite) -> None:
    site.set_status("/broken.rss", 500)
    good, bad = site.url + "/rss/home.rss", site.url + "/broken.rss"
    async with running_bot(tmp_path, caplog, sources=(bad, good), sync_minutes=0.005) as b:
        assert await _until(lambda: "Hội đua thuyền trên sông Lam thu hút du khách" in _titles(b.svc))
        statuses = {s.url: s for s in source_status(b.articles)}
        assert statuses[bad].last_error and statuses[bad].failures >= 1
        assert statuses[good].last_error is None
        reply = Bot.plain((await b.ask("Giải thưởng cao nhất của hội đua thuyền là bao nhiêu?"))[0])
        assert "30 triệu đồng" in reply


def test_sources_text_without_sources_says_how_to_start() -> None:
    assert "SOURCES" in sources_text([], (), 15, "")


async def test_a_sync_pushes_a_new_matching_article_to_its_subscriber(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, site: NewsSite) -> None:
    from tests.bot_harness import READER

    async with running_bot(tmp_path, caplog, sources=(site.url + "/rss/home.rss",), sync_minutes=0.005) as b:
        assert await _until(lambda: "Hội đua thuyền trên sông Lam thu hút du khách" in _titles(b.svc))
        [ok] = await b.ask("/theodoi den tin hieu")  # keywords, typed without tone marks
        assert "den tin hieu" in ok
        site.add_article("/den-tin-hieu-post1002.html", TITLE, "Ngã tư Trần Phú vừa được lắp đèn tín hiệu mới.",
                         ["Công trình gồm 8 cột đèn."], published=_vietnam_now(), topics=["Giao thông"])
        site.add_article("/gia-lua-post1003.html", "Giá lúa tăng nhẹ sau vụ hè thu", "Giá lúa tươi tăng 200 đồng.",
                         ["Thương lái thu mua tại ruộng."], published=_vietnam_now(), topics=["Kinh tế"])

        def pushes() -> list[str]:
            return [t for t in b.replies(READER) if t.startswith("🔔 Bài mới")]

        assert await _until(lambda: bool(pushes())), "no push after the sync brought the article"
        assert await _until(lambda: "Giá lúa tăng nhẹ sau vụ hè thu" in _titles(b.svc))
    [push] = pushes()  # exactly one, and only the matching article
    assert TITLE in push and site.url + "/den-tin-hieu-post1002.html" in push
