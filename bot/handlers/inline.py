"""Inline mode: `@bot câu hỏi` in any chat offers up to five quoted answers.

Telegram sends a query for almost every keystroke. Each one is only scheduled
(`INLINE_DELAY` seconds on the JobQueue, replacing that user's previous one), so a
reader typing a question costs one search, for the words they stopped at.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

from telegram import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import questionlog, render, smalltalk
from bot.context import Context
from index.answer import Answer

log = logging.getLogger(__name__)
MIN_CHARS = 6  # shorter queries are words being typed, not questions
RESULTS = 5
NOT_FOUND = InlineQueryResultsButton("Không tìm thấy — hỏi Hỏi Báo", start_parameter="inline")


async def on_inline(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None or len(" ".join(query.query.split())) < MIN_CHARS:
        return
    context.bot_data.inline_latest[query.from_user.id] = update.update_id
    name = f"inline:{query.from_user.id}"
    assert context.job_queue is not None
    for job in context.job_queue.get_jobs_by_name(name):
        job.schedule_removal()  # the reader typed on: the older query is never answered
    context.job_queue.run_once(answer_later, context.bot_data.settings.inline_delay, data=(update.update_id, query),
                               name=name)


async def answer_later(context: Context) -> None:
    assert context.job is not None
    data = context.job.data
    assert isinstance(data, tuple)
    update_id: int = data[0]
    query: InlineQuery = data[1]
    latest = context.bot_data.inline_latest
    if latest.get(query.from_user.id) != update_id:
        return  # a newer query of this reader arrived meanwhile
    del latest[query.from_user.id]
    started = time.perf_counter()
    results, ans = await asyncio.to_thread(inline_results, context, query.query)
    if ans is not None and ans.is_question:
        await questionlog.remember(context.bot_data.questions, ans, (time.perf_counter() - started) * 1000, "inline",
                                   query.from_user.id)
    try:
        await query.answer(results, cache_time=context.bot_data.settings.inline_cache_time, is_personal=False,
                           button=None if results else NOT_FOUND)
    except BadRequest as exc:  # "query is too old": the reader has moved on
        log.info("inline answer not delivered: %s", exc)


def inline_results(context: Context, text: str) -> tuple[list[InlineQueryResultArticle], Answer | None]:
    """Results for one query (and the answer behind them, for the question log); none for
    small talk or an answer the engine refuses."""
    if smalltalk.kind(text) is not None:
        return [], None
    ans = context.bot_data.service.answer(text, RESULTS, 0)
    if ans is None or not ans.is_question or not ans.answered or not ans.hits:
        return [], ans
    out = []
    for hit in render.shown(ans.hits):  # as in chat replies: weak extras are no answer
        rid = hashlib.sha1(f"{hit.article_id}:{hit.quote_span}".encode(), usedforsecurity=False).hexdigest()[:16]
        out.append(InlineQueryResultArticle(
            id=rid, title=render.shorten(hit.title, 120), description=render.shorten(hit.quote, 240),
            input_message_content=InputTextMessageContent(
                render.inline_message(hit), parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True))))
    return out, ans
