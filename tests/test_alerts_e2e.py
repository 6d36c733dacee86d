"""Alerts as readers meet them: the real PTB Application against the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.alerts.matching import VIETNAM
from bot.alerts.store import Store
from index.build import build
from tests import telegram_html
from tests.bot_harness import ADMIN, READER, Bot, bot
from tests.fake_telegram import Fault

__all__ = ["bot"]  # the fixture
OTHER = 3003
GROUP = -500


def today() -> str:
    return datetime.now(VIETNAM).date().isoformat()


def write(bot: Bot, name: str, title: str, published: str | None = None, topics: str = "") -> str:
    url = f"https://example.org/moi/{name}"
    meta = f"url: {url}\n" + (f"published: {published}\n" if published else "") + (f"topics: {topics}\n" if topics else "")
    (bot.articles / f"{name}.txt").write_text(f"---\n{meta}---\n{title}\n\n(Baohatinh.vn) - {title}, tin mới trong ngày.\n",
                                              encoding="utf-8")
    return url


def pushes(bot: Bot, chat: int) -> list[str]:
    return [t for t in bot.replies(chat) if t.startswith("🔔 Bài mới")]


def store() -> Store:
    return Store(Path("var/alerts.sqlite3"))  # the default ALERTS_DB, under the test's own cwd


async def until(bot: Bot, pred: Callable[[], bool]) -> bool:
    return await asyncio.to_thread(bot.fake.wait_for, pred, 60)


def new_generation(bot: Bot) -> None:
    """What a feed sync does: build, then swap (the listener runs in this thread)."""
    build([bot.articles], bot.svc.index_dir, None)
    bot.svc.load()


async def test_reindex_pushes_the_matching_article_once_to_its_subscriber(bot: Bot) -> None:
    [r1] = await bot.ask("/theodoi cau rao tre")  # keywords, without tone marks
    assert "Đã theo dõi từ khóa <b>cau rao tre</b>" in r1
    [r2] = await bot.ask("/theodoi y te", uid=OTHER)  # the topic "Y tế"
    assert "Đã theo dõi chủ đề <b>Y tế</b>" in r2
    url = write(bot, "cau", "Cầu Rào Tre hoàn thành sau hai năm thi công", today(), "Giao thông")
    write(bot, "caphe", "Giá cà phê tăng mạnh đầu vụ", today(), "Kinh tế")
    await bot.ask("/reindex", uid=ADMIN)
    assert await until(bot, lambda: bool(pushes(bot, READER)))
    assert await until(bot, lambda: store().states() == {"sent": 1})
    [push] = pushes(bot, READER)
    telegram_html.check(push)
    assert f'href="{url}"' in push and "Cầu Rào Tre hoàn thành" in push and "Giao thông" in push
    assert pushes(bot, OTHER) == []
    [listing] = await bot.ask("/dangtheodoi")
    assert "cau rao tre" in listing


async def test_unsubscribed_and_older_articles_get_nothing(bot: Bot) -> None:
    await bot.ask("/theodoi cau rao tre")
    [bye] = await bot.ask("/huytheodoi Cau Rao Tre")
    assert "Đã hủy theo dõi" in bye
    await bot.ask("/theodoi y tế")
    await bot.ask("/dangtheodoi")
    markup = bot.fake.sent("sendMessage", READER)[-1].params["reply_markup"]["inline_keyboard"]
    [[button]] = markup
    bot.fake.push({"callback_query": {"id": "u1", "from": bot.fake.user(READER), "chat_instance": "x",
                                      "data": button["callback_data"],
                                      "message": {"message_id": 9, "date": 0, "text": "🔔 Đang theo dõi",
                                                  "chat": {"id": READER, "type": "private"}}}})
    assert await until(bot, lambda: bool(bot.fake.sent("editMessageText", READER)))
    assert "chưa theo dõi" in bot.fake.sent("editMessageText", READER)[-1].params["text"]
    await bot.ask("/theodoi benh vien")
    write(bot, "cau", "Cầu Rào Tre hoàn thành", today())
    write(bot, "yte", "Trạm y tế xã mới", today(), "Y tế")
    write(bot, "bv", "Bệnh viện huyện khánh thành năm 2020", "2020-05-01")  # before the subscription
    new_generation(bot)
    assert store().states() == {}  # nothing was queued
    await bot.ask("/help")
    assert pushes(bot, READER) == []


async def test_blocked_chat_is_unsubscribed(bot: Bot) -> None:
    await bot.ask("/theodoi y te")
    bot.fake.blocked.add(READER)
    write(bot, "yte", "Trạm y tế xã mới", today(), "Y tế")
    new_generation(bot)
    assert await until(bot, lambda: store().states() == {"dropped": 1})
    assert store().subscriptions() == []
    assert bot.fake.sent("!sendMessage", READER) and pushes(bot, READER) == []


async def test_429_storm_delivers_every_push_once_in_order(bot: Bot) -> None:
    await bot.ask("/theodoi y te")
    for i in range(4):
        write(bot, f"yte-{i}", f"Bản tin y tế số {i}", today(), "Y tế")
    bot.fake.faults.append(Fault("sendMessage", 429, times=3, retry_after=1))
    new_generation(bot)
    assert await until(bot, lambda: store().states() == {"sent": 4})
    with sqlite3.connect("var/alerts.sqlite3") as db:
        queued_order = [r[0] for r in db.execute("SELECT article FROM outbox ORDER BY id")]
    got = pushes(bot, READER)
    assert len(got) == 4 and len(bot.fake.sent("!sendMessage")) == 3
    assert [next(u for u in queued_order if f'href="{u}"' in p) for p in got] == queued_order


async def test_only_group_admins_subscribe_a_group(bot: Bot) -> None:
    [refused] = await bot.ask("/theodoi y te", chat_id=GROUP, chat_type="supergroup")
    assert "chỉ quản trị viên" in refused
    bot.fake.admins[GROUP] = {READER}
    [ok] = await bot.ask("/theodoi y te", chat_id=GROUP, chat_type="supergroup")
    assert "Đã theo dõi" in ok
    assert [c.params["user_id"] for c in bot.fake.sent("getChatMember")] == [str(READER)] * 2
    write(bot, "yte", "Trạm y tế xã mới", today(), "Y tế")
    new_generation(bot)
    assert await until(bot, lambda: bool(pushes(bot, GROUP)))
    assert pushes(bot, READER) == []
