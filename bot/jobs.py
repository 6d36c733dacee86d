"""The timed sync: every SYNC_MINUTES the bot fetches its SOURCES and updates the index
(PTB's JobQueue, the work in a thread). A failure is logged and retried at the next
tick; a failing source backs off inside the fetcher; nothing here can stop the bot."""

from __future__ import annotations

import asyncio
import logging

from bot.context import App, Context
from bot.settings import BotSettings

log = logging.getLogger(__name__)
FIRST_SYNC_SECONDS = 5.0  # after start: let polling settle, then catch up at once
FOLLOW_SECONDS = 30.0  # a replica's look at what the writer published: one small file read


async def sync_job(context: Context) -> None:
    svc, settings = context.bot_data.service, context.bot_data.settings
    try:
        result = await asyncio.to_thread(svc.sync, list(settings.sources))
    except Exception:
        log.exception("sync failed; the index that was serving still serves")
        svc.last_sync_error = "sync failed (see the log)"
        return
    if result is None:
        return
    svc.last_sync_error = None
    f, ix = result.fetch, result.index
    log.info("sync: %d new, %d updated, %d removed, %d skipped; index %s %s in %.1f s",
             f.new, f.updated, f.removed, len(f.skipped), ix.mode, ix.generation, result.indexed_seconds)


async def follow_job(context: Context) -> None:
    try:
        if await asyncio.to_thread(context.bot_data.service.refresh):
            log.info("now serving what the writer published")
    except Exception:
        log.exception("reloading the index failed; the index that was serving still serves")


def schedule_sync(app: App, settings: BotSettings) -> None:
    """Start the timed sync when SOURCES are set and SYNC_MINUTES is not 0. Without it, a
    bot on Qdrant is a replica of a cluster: it follows the sync worker's pushes instead."""
    if not settings.sources or settings.sync_minutes <= 0:
        if settings.index.backend == "qdrant" and app.job_queue is not None:
            app.job_queue.run_repeating(follow_job, interval=FOLLOW_SECONDS, first=FOLLOW_SECONDS, name="follow",
                                        job_kwargs={"max_instances": 1, "coalesce": True})
        return
    if app.job_queue is None:
        log.error("SOURCES is set but PTB has no JobQueue (install python-telegram-bot[job-queue])")
        return
    interval = settings.sync_minutes * 60
    app.job_queue.run_repeating(sync_job, interval=interval, first=min(FIRST_SYNC_SECONDS, interval),
                                name="sync", job_kwargs={"max_instances": 1, "coalesce": True})
    log.info("following %d source(s) every %g minutes", len(settings.sources), settings.sync_minutes)
