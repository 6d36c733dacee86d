"""/moi: the newest articles, of all topics or one, paged like /topic."""

from __future__ import annotations

import asyncio

from tests import telegram_html
from tests.bot_harness import READER, Bot, bot

__all__ = ["bot"]  # the fixture


async def test_moi_pages_the_newest_articles(bot: Bot) -> None:
    [page1] = await bot.ask("/moi")
    telegram_html.check(page1)
    assert page1.startswith("🆕 Tin mới nhất — trang 1/2")
    assert page1.index("Bệnh viện Đa khoa") < page1.index("Nông dân Cẩm Xuyên")  # 08/07 before 20/06
    nav = bot.fake.sent("sendMessage", READER)[-1].params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in nav] == ["▶"]
    bot.fake.push({"callback_query": {"id": "n1", "from": bot.fake.user(READER), "chat_instance": "x",
                                      "data": nav[0]["callback_data"],
                                      "message": {"message_id": 7, "date": 0, "chat": {"id": READER, "type": "private"},
                                                  "text": bot.plain(page1)}}})
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: bool(bot.fake.sent("editMessageText")))
    page2 = bot.fake.sent("editMessageText")[-1].params["text"]
    telegram_html.check(page2)
    assert "trang 2/2" in page2 and "ca trù Cổ Đạm" in page2


async def test_moi_of_one_topic_and_an_unknown_one(bot: Bot) -> None:
    [page] = await bot.ask("/moi chuyen doi so")
    assert "chủ đề <b>Chuyển đổi số</b> — trang 1/1" in page and "Nông dân" not in page
    [unknown] = await bot.ask("/moi chuyen doi")
    assert "Không có chủ đề" in unknown
    buttons = bot.fake.sent("sendMessage", READER)[-1].params["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["text"] == "🆕 Chuyển đổi số"
    n = len(bot.replies(READER))
    bot.press(buttons[0][0]["callback_data"], text=bot.plain(unknown))
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: len(bot.replies(READER)) > n)
    assert "chủ đề <b>Chuyển đổi số</b> — trang 1/1" in bot.replies(READER)[n]  # the news of that topic
