"""Webhook mode: PTB's own webhook server, a wrong or missing secret gets 403 and no handler runs."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from pathlib import Path

import httpx

from bot.app import build_application, setup_logging
from bot.service import IndexService
from bot.settings import BotSettings, parse_admin_ids
from index.build import build
from index.settings import IndexSettings
from tests.conftest import SAMPLE
from tests.fake_telegram import FakeTelegram

TOKEN = "555555555:AAWebhookTestsToken_abcdefghijklmnopq"
SECRET = "s3cret-token_for-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_checks_the_secret(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLE, articles)
    build([articles], tmp_path / "idx", None)
    fake = FakeTelegram(TOKEN).start()
    settings = BotSettings(token=TOKEN, admin_ids=parse_admin_ids(""), index=IndexSettings(tmp_path / "idx", articles, None),
                           api_base_url=fake.url, request_timeout=10.0, webhook_secret=SECRET, log_level="DEBUG")
    setup_logging(settings)  # as `python -m bot` does: the conftest checks no line shows TOKEN or SECRET
    svc = IndexService(settings.index)
    svc.load()
    app = build_application(settings, svc)
    port = _free_port()
    update = {"update_id": 9, "message": fake.message("Ca trù Cổ Đạm có bao nhiêu thành viên?", uid=77)}
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="telegram", secret_token=SECRET,
                                        webhook_url="https://example.org/telegram")
        try:
            assert fake.sent("setWebhook")[0].params["secret_token"] == SECRET
            url = f"http://127.0.0.1:{port}/telegram"
            async with httpx.AsyncClient() as client:
                missing = await client.post(url, content=json.dumps(update), headers={"Content-Type": "application/json"})
                wrong = await client.post(url, content=json.dumps(update), headers={
                    "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "nope"})
                assert missing.status_code == 403 and wrong.status_code == 403
                ok = await client.post(url, content=json.dumps(update), headers={
                    "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert ok.status_code == 200
            assert await asyncio.to_thread(fake.wait_for, lambda: bool(fake.sent("sendMessage", 77)), 20)
            assert "25 thành viên" in fake.sent("sendMessage", 77)[0].params["text"]
        finally:
            await app.updater.stop()
            await app.stop()  # handles every update it took in before returning
            fake.stop()
    assert len(fake.sent("sendMessage")) == 1  # so no handler ran for the two refused posts
