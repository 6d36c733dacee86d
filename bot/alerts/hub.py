"""Alerts wired into the running bot: new articles → outbox → the delivery worker on the JobQueue."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode

from bot.alerts import matching
from bot.alerts.delivery import Worker
from bot.alerts.store import Store
from bot.context import App, Context
from bot.service import IndexService
from bot.settings import BotSettings
from index.articles import Article
from index.text import Analyzer

log = logging.getLogger(__name__)
POLL_EVERY = 30.0  # seconds: the worker also runs this often, for rows left waiting (hourly budget, restarts)


class Alerts:
    def __init__(self, store: Store, svc: IndexService, worker: Worker) -> None:
        self.store = store
        self.svc = svc
        self.worker = worker
        self.app: App | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def analyzer(self) -> Analyzer:
        engine = self.svc.engine
        return engine.gen.analyzer if engine is not None else Analyzer()

    def on_new_articles(self, articles: list[Article]) -> None:
        """IndexService listener, run in the thread that swapped the index: queue, then wake."""
        wanted = matching.pushes(self.store.subscriptions(), articles, self.analyzer())
        queued = self.store.enqueue(wanted) if wanted else 0
        log.info("%d new article(s): %d push(es) queued", len(articles), queued)
        if queued:
            self.wake()

    def wake(self) -> None:
        """Thread-safe: run the worker now instead of at the next periodic run."""
        loop, app = self._loop, self.app
        if loop is None or app is None or app.job_queue is None or loop.is_closed():
            return  # not started yet: the first periodic run will find the rows
        loop.call_soon_threadsafe(app.job_queue.run_once, self.tick, 0.0, None, "alerts-wake")

    async def tick(self, context: Context | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self.worker.drain()
        except Exception:  # the next run tries again; the queue is on disk
            log.exception("alert delivery failed")


def install(app: App, svc: IndexService, settings: BotSettings) -> Alerts:
    """Create the store and worker, listen for new articles, schedule the worker."""
    store = Store(settings.alerts_db)
    # Pushes use their own Bot over the app's connection pool, without the app's rate
    # limiter: that limiter retries 429s itself while a row is "sending", and a crash in
    # that wait would lose the push; the worker instead re-queues on 429 and waits.
    push_bot = Bot(app.bot.token, base_url=f"{settings.api_base_url}/bot",
                   base_file_url=f"{settings.api_base_url}/file/bot",
                   request=app.bot.request, get_updates_request=app.bot.request)

    async def send(chat_id: int, html_text: str) -> None:
        await push_bot.initialize()  # once: later calls return at once
        await push_bot.send_message(chat_id, html_text, parse_mode=ParseMode.HTML,
                                    link_preview_options=LinkPreviewOptions(is_disabled=True))

    hub = Alerts(store, svc, Worker(store, send, running=lambda: app.running))
    hub.app = app
    svc.on_new_articles.append(hub.on_new_articles)
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    job_kwargs: dict[str, Any] = {"max_instances": 10}  # a run waiting out a 429 must not log skipped runs
    app.job_queue.run_repeating(hub.tick, interval=POLL_EVERY, first=0.1, name="alerts",
                                job_kwargs=job_kwargs)
    app.bot_data.alerts = hub
    return hub
