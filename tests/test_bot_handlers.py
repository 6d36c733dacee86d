"""Handlers driven the way PTB tests itself: `process_update` on built updates.

The Application is initialised against the fake Bot API server (for getMe and the
replies), but no polling runs: each update is handed to the application directly.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, setup_logging
from bot.handlers.common import EXPIRED
from bot.service import IndexService
from bot.settings import BotSettings, parse_admin_ids
from index.build import build
from index.settings import IndexSettings
from tests.conftest import SAMPLE
from tests.fake_telegram import FakeTelegram

TOKEN = "987654321:AAHandlerTestsToken_abcdefghijklmnop"
ADMIN = 11


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[Application, FakeTelegram, IndexService]]:  # type: ignore[type-arg]
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLE, articles)
    build([articles], tmp_path / "idx", None)
    fake = FakeTelegram(TOKEN).start()
    settings = BotSettings(token=TOKEN, admin_ids=parse_admin_ids(str(ADMIN)),
                           index=IndexSettings(tmp_path / "idx", articles, None), api_base_url=fake.url,
                           feedback_file=tmp_path / "fb.jsonl", request_timeout=10.0)  # a timed-out send is lost
    setup_logging(settings)  # its token redaction: alone, this file must not depend on another's set-up
    svc = IndexService(settings.index)
    svc.load()
    application = build_application(settings, svc)
    async with application:
        yield application, fake, svc
    fake.stop()


def _update(app: Application, data: dict[str, Any]) -> Update:  # type: ignore[type-arg]
    update = Update.de_json({"update_id": 1, **data}, app.bot)
    app.bot.insert_callback_data(update)  # as getUpdates and the webhook do: button ids → the bot's objects
    return update


async def test_private_question_is_answered(app: tuple[Application, FakeTelegram, IndexService]) -> None:  # type: ignore[type-arg]
    application, fake, _ = app
    await application.process_update(_update(application, {"message": fake.message("Ca trù Cổ Đạm có bao nhiêu thành viên?", uid=5)}))
    [call] = fake.sent("sendMessage", 5)
    assert "25 thành viên" in call.params["text"].replace("<b>", "").replace("</b>", "")
    assert call.params["parse_mode"] == "HTML"


async def test_group_message_without_mention_is_ignored(app: tuple[Application, FakeTelegram, IndexService]) -> None:  # type: ignore[type-arg]
    application, fake, _ = app
    msg = fake.message("Ca trù Cổ Đạm có bao nhiêu thành viên?", uid=5, chat_id=-9, chat_type="supergroup")
    await application.process_update(_update(application, {"message": msg}))
    assert not fake.sent("sendMessage")


@pytest.mark.parametrize(("update_kind", "uid", "forwarded", "allowed"), [
    ("message", ADMIN, False, True),        # admin in private
    ("message", 5, False, False),           # a reader
    ("message", 1087968824, False, False),  # anonymous group admin
    ("message", 777000, False, False),      # Telegram service account
    ("edited_message", ADMIN, False, False),
    ("message", ADMIN, True, False),        # a forwarded admin command
])
async def test_stats_access(app: tuple[Application, FakeTelegram, IndexService], update_kind: str, uid: int,  # type: ignore[type-arg]
                            forwarded: bool, allowed: bool) -> None:
    application, fake, _ = app
    msg = fake.message("/stats", uid=uid)
    if update_kind == "edited_message":
        msg["edit_date"] = msg["date"]
    if forwarded:
        msg["forward_origin"] = {"type": "user", "date": msg["date"], "sender_user": fake.user(ADMIN)}
    await application.process_update(_update(application, {update_kind: msg}))
    texts = [c.params["text"] for c in fake.sent("sendMessage")]
    if allowed:
        assert texts and "Thống kê" in texts[0]
    else:
        assert all("Thống kê" not in t for t in texts)


async def test_admin_in_group_but_not_a_reader_in_admins_group(app: tuple[Application, FakeTelegram, IndexService]) -> None:  # type: ignore[type-arg]
    application, fake, _ = app
    await application.process_update(_update(application, {"message": fake.message("/stats", uid=ADMIN, chat_id=-7, chat_type="group")}))
    await application.process_update(_update(application, {"message": fake.message("/stats", uid=5, chat_id=-7, chat_type="group")}))
    texts = [c.params["text"] for c in fake.sent("sendMessage", -7)]
    assert "Thống kê" in texts[0] and "chỉ dành cho quản trị viên" in texts[1]


async def test_channel_post_never_runs_admin_commands(app: tuple[Application, FakeTelegram, IndexService]) -> None:  # type: ignore[type-arg]
    application, fake, svc = app
    post = {"message_id": 3, "date": 0, "text": "/reindex", "chat": {"id": -100, "type": "channel"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}
    await application.process_update(_update(application, {"channel_post": post}))
    assert not svc.rebuild.running and not fake.sent("sendMessage")


# The old string protocol's data, and ids shaped like PTB's (keyboard uuid + button uuid) it never made.
@pytest.mark.parametrize("data", ["more:forged:3", "fb:nothing:+", "tp:0000000000:1", "ask:zzz", "more:x:999999",
                                  "unsub:1", "0" * 64, "f" * 32 + "0" * 32])
async def test_forged_callback_data_does_nothing_harmful(app: tuple[Application, FakeTelegram, IndexService], data: str) -> None:  # type: ignore[type-arg]
    application, fake, svc = app
    cb = {"id": "c1", "from": fake.user(5), "chat_instance": "i", "data": data,
          "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "x"}}
    before = svc.engine
    await application.process_update(_update(application, {"callback_query": cb}))
    [answer] = fake.sent("answerCallbackQuery")  # always answered, so the button stops spinning
    assert answer.params["text"] == EXPIRED
    assert not fake.sent("sendMessage") and svc.engine is before and not svc.rebuild.running
