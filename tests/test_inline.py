"""Inline mode: `@bot câu hỏi` in any chat → answerInlineQuery with quoted results."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, setup_logging
from bot.render import MAX_MESSAGE, visible_length
from bot.service import IndexService
from bot.settings import BotSettings
from index.build import build
from index.settings import IndexSettings
from tests import telegram_html
from tests.bot_harness import READER, Bot, bot
from tests.conftest import SAMPLE
from tests.fake_telegram import FakeTelegram

__all__ = ["bot"]  # the fixture
TOKEN = "987654321:AAHandlerTestsToken_abcdefghijklmnop"


def _inline(fake: FakeTelegram, qid: str, text: str, uid: int = READER) -> dict[str, Any]:
    return {"inline_query": {"id": qid, "from": fake.user(uid), "query": text, "offset": ""}}


async def _answer(bot: Bot, qid: str) -> dict[str, Any]:
    done = lambda: any(c.params.get("inline_query_id") == qid for c in bot.fake.sent("answerInlineQuery"))  # noqa: E731
    assert await asyncio.to_thread(bot.fake.wait_for, done, 30)
    return next(c.params for c in bot.fake.sent("answerInlineQuery") if c.params["inline_query_id"] == qid)


async def test_inline_query_gets_quoted_html_results(bot: Bot) -> None:
    bot.fake.push(_inline(bot.fake, "q1", "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?"))
    params = await _answer(bot, "q1")
    results = params["results"]
    assert 1 <= len(results) <= 5 and int(params["cache_time"]) == 300
    first = results[0]
    assert first["type"] == "article" and "Bệnh viện" in first["title"] and "3,5 tỷ đồng" in first["description"]
    for r in results:
        content = r["input_message_content"]
        telegram_html.check(content["message_text"])
        assert content["parse_mode"] == "HTML" and visible_length(content["message_text"]) <= MAX_MESSAGE
    text = first["input_message_content"]["message_text"]
    assert text.startswith("<blockquote>") and "3,5 tỷ đồng" in text
    assert 'href="https://example.org/hoibao/mau/benh-vien-khong-giay"' in text and "08/07/2025" in text


async def test_refused_or_small_talk_query_gets_no_result(bot: Bot) -> None:
    bot.fake.push(_inline(bot.fake, "q2", "Đội tuyển Việt Nam vô địch AFF Cup năm nào?"))
    bot.fake.push(_inline(bot.fake, "q3", "cảm ơn nhé bot", uid=READER + 1))
    for qid in ("q2", "q3"):
        params = await _answer(bot, qid)
        assert params["results"] == [] and params["button"]["start_parameter"] == "inline"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[Application, FakeTelegram]]:  # type: ignore[type-arg]
    """Initialised but not running: jobs never fire on their own, the test runs them."""
    shutil.copytree(SAMPLE, tmp_path / "articles")
    build([tmp_path / "articles"], tmp_path / "idx", None)
    fake = FakeTelegram(TOKEN).start()
    settings = dataclasses.replace(BotSettings.from_env(), token=TOKEN, api_base_url=fake.url, inline_delay=600,
                                   index=IndexSettings(tmp_path / "idx", tmp_path / "articles", None))
    setup_logging(settings)  # as `python -m bot` does: the token never reaches a log line
    svc = IndexService(settings.index)
    svc.load()
    application = build_application(settings, svc)
    async with application:
        yield application, fake
    fake.stop()


async def test_typing_is_debounced_to_the_last_query(app: tuple[Application, FakeTelegram]) -> None:  # type: ignore[type-arg]
    application, fake = app
    for n, text in enumerate(["Bện", "Bệnh viện tiết", "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?"], start=1):
        await application.process_update(Update.de_json({"update_id": n, **_inline(fake, f"t{n}", text)},
                                                        application.bot))
    assert application.job_queue is not None
    [job] = application.job_queue.get_jobs_by_name(f"inline:{READER}")  # "Bện" was too short, t2 replaced
    await job.run(application)
    [call] = fake.sent("answerInlineQuery")
    assert call.params["inline_query_id"] == "t3" and call.params["results"]


async def test_inline_questions_reach_the_question_log(bot: Bot, tmp_path: Path) -> None:
    import contextlib
    import sqlite3

    bot.fake.push(_inline(bot.fake, "q9", "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?"))
    await _answer(bot, "q9")
    log_file = tmp_path / "var" / "questions.sqlite3"

    def logged() -> list[tuple[object, ...]]:
        with contextlib.closing(sqlite3.connect(log_file)) as db:
            return db.execute("SELECT question, chat_type, answered FROM questions").fetchall()

    assert await asyncio.to_thread(bot.fake.wait_for, lambda: bool(logged()), 30)
    assert logged() == [("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", "inline", 1)]
