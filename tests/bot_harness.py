"""The real bot (PTB Application + IndexService) against the fake Bot API server,
over real HTTP on 127.0.0.1: shared by the end-to-end and reliability tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, setup_logging
from bot.context import App
from bot.service import IndexService
from bot.settings import BotSettings, parse_admin_ids
from index.build import build
from index.settings import IndexSettings
from tests.conftest import SAMPLE
from tests.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
ADMIN = 1001
READER = 2002


@dataclass
class Bot:
    fake: FakeTelegram
    svc: IndexService
    articles: Path
    app: App

    def buttons(self, chat_id: int = READER) -> list[dict[str, Any]]:
        """The inline buttons under the last message sent to `chat_id`, as Telegram got them."""
        markup = self.fake.sent("sendMessage", chat_id)[-1].params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def press(self, data: str, uid: int = READER, text: str = "x") -> None:
        """A reader presses a button whose callback_data is `data` (under a message reading `text`)."""
        self.fake.push({"callback_query": {"id": f"cb{self.fake.next_update_id}", "from": self.fake.user(uid),
                                           "chat_instance": "x", "data": data,
                                           "message": {"message_id": 1, "date": 0, "text": text,
                                                       "chat": {"id": uid, "type": "private"}}}})

    def replies(self, chat_id: int) -> list[str]:
        return [c.params["text"] for c in self.fake.sent("sendMessage", chat_id)]

    @staticmethod
    def plain(html_text: str) -> str:
        return re.sub(r"</?b>", "", html_text)

    async def ask(self, text: str, uid: int = READER, n: int = 1, wait: float = 30, **kw: object) -> list[str]:
        before = len(self.replies(kw.get("chat_id", uid)))  # type: ignore[arg-type]
        self.fake.push({"message": self.fake.message(text, uid=uid, **kw)})
        ok = await asyncio.to_thread(self.fake.wait_for,
                                     lambda: len(self.replies(kw.get("chat_id", uid))) >= before + n,  # type: ignore[arg-type]
                                     wait)
        assert ok, f"no reply to {text!r}"
        return self.replies(kw.get("chat_id", uid))[before:]  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, caplog: pytest.LogCaptureFixture, source: Path = SAMPLE,
                      request_timeout: float = 10.0, **overrides: object) -> AsyncIterator[Bot]:
    """The bot polling the fake server, over an index of a copy of `source`.

    `request_timeout` is the bot's default: a tight one made a loaded machine drop answers
    (a timed-out send is not retried). Tests of timeouts use `Fault(hang=True)` instead.
    On leaving, the bot has finished every update it fetched (PTB's stop drains them), so
    a check that something did *not* happen belongs after the `async with`."""
    articles = tmp_path / "articles"
    shutil.copytree(source, articles)
    index_dir = tmp_path / "index"
    build([articles], index_dir, None)
    fake = FakeTelegram(TOKEN).start()
    settings = BotSettings(token=TOKEN, admin_ids=parse_admin_ids(f"{ADMIN},1087968824"),
                           index=IndexSettings(index_dir, articles, None), api_base_url=fake.url,
                           feedback_file=tmp_path / "feedback.jsonl", log_level="DEBUG", request_timeout=request_timeout)
    settings = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
    setup_logging(settings)
    caplog.set_level(logging.DEBUG)
    svc = IndexService(settings.index)
    svc.load()
    app = build_application(settings, svc)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1, bootstrap_retries=-1)
        try:
            yield Bot(fake, svc, articles, app)
        finally:
            await app.updater.stop()
            await app.stop()
            fake.stop()
    # the token never reaches a log line, whatever happened above
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


@pytest.fixture
async def bot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Bot]:
    async with running_bot(tmp_path, caplog) as b:
        yield b
