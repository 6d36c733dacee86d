"""Buttons carry the bot's own objects (`arbitrary_callback_data`): pressed through the fake
Bot API exactly as Telegram sends them, and answered politely once they have expired."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CALLBACK_CACHE
from bot.handlers.common import EXPIRED
from tests.bot_harness import READER, Bot, bot, running_bot
from tests.conftest import DATA, SAMPLE

__all__ = ["bot"]  # the fixture


def _answers(bot: Bot) -> list[str]:
    return [str(c.params.get("text", "")) for c in bot.fake.sent("answerCallbackQuery")]


async def _until(bot: Bot, pred: object) -> bool:
    return await asyncio.to_thread(bot.fake.wait_for, pred, 30)  # type: ignore[arg-type]


async def test_an_unknown_button_is_answered_politely_and_the_bot_goes_on(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bot.press("0" * 64)  # shaped like PTB's ids (keyboard + button uuid), never made by this bot
    bot.press("more:abc:3")  # a button of the old string protocol, still in some chat
    assert await _until(bot, lambda: len(_answers(bot)) == 2)
    assert _answers(bot) == [EXPIRED, EXPIRED]
    assert not bot.replies(READER)  # nothing sent into the chat
    [reply] = await bot.ask("Ca trù Cổ Đạm có bao nhiêu thành viên?")
    assert "25" in reply
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no stack trace, no error


@pytest.fixture
async def hospitals(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Bot]:
    """The sample plus four district hospitals that also save money each year."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    for f in (DATA / "hospitals").iterdir():
        shutil.copy(f, corpus / f.name)
    async with running_bot(tmp_path / "run", caplog, source=corpus) as b:
        yield b


async def test_more_continues_where_the_page_stopped_and_only_with_close_hits(hospitals: Bot) -> None:
    bot = hospitals
    [first] = await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
    more = [b for b in bot.buttons() if b["text"] == "Xem thêm ▶"]
    assert more, "four close hits: the first page must offer more"
    n = len(bot.replies(READER))
    bot.press(more[0]["callback_data"])
    assert await _until(bot, lambda: len(bot.replies(READER)) > n)
    second = bot.replies(READER)[n]
    assert "Kết quả tiếp theo" in second and "4." in second and "5." not in second  # hit 4, numbered on
    seen_first = {t for t in ("Thạch Hà", "Hương Sơn", "Can Lộc", "Kỳ Anh") if t in first}
    seen_second = {t for t in ("Thạch Hà", "Hương Sơn", "Can Lộc", "Kỳ Anh") if t in second}
    assert len(seen_first) == 3 and len(seen_second) == 1 and not seen_first & seen_second  # none skipped or shown twice
    assert "ca trù" not in second.lower() and "thanh toán" not in second.lower()  # nothing unrelated
    assert not [b for b in bot.buttons() if b["text"] == "Xem thêm ▶"]  # the close hits are all shown


async def test_real_buttons_work_and_expire_once_the_cache_drops_them(hospitals: Bot) -> None:
    bot = hospitals
    await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
    more, up, _down = bot.buttons()
    assert (more["text"], up["text"]) == ("Xem thêm ▶", "👍")
    assert all(len(b["callback_data"]) <= 64 for b in bot.buttons())  # Telegram's limit: opaque ids
    n = len(bot.replies(READER))
    bot.press(more["callback_data"])
    assert await _until(bot, lambda: len(bot.replies(READER)) > n)
    assert "Kết quả tiếp theo cho: <i>Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?</i>" in bot.replies(READER)[n]
    bot.press(up["callback_data"])
    assert await _until(bot, lambda: "Cảm ơn bạn đã góp ý! 🙏" in _answers(bot))
    bot.app.bot.callback_data_cache.clear_callback_data()  # as the bounded cache does to old keyboards
    bot.press(up["callback_data"])
    assert await _until(bot, lambda: _answers(bot)[-1:] == [EXPIRED])


async def test_the_button_cache_is_bounded_and_in_memory(bot: Bot) -> None:
    assert bot.app.bot.callback_data_cache.maxsize == CALLBACK_CACHE
    assert bot.app.persistence is None  # nothing of it is written anywhere
