"""/topic: browse articles by topic, newest first, 5 a page."""

from __future__ import annotations

import asyncio
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import render, topics
from bot.buttons import TopicPage, column, nav
from bot.context import BotData, Context
from bot.handlers.common import UNAVAILABLE, ChatOut, Out, pressed

MAX_TOPIC_BUTTONS = 30
HEAD = "🗂 Chủ đề"  # a page under a pressed ◀ ▶ is replaced in place
GONE = "Chủ đề này không còn nữa."


def topic_view(data: BotData, name: str, page: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    engine = data.service.engine
    if engine is None:
        return None
    items, page, pages = topics.page(topics.articles(engine.gen, name), page)
    return render.topic_page(name, items, page, pages), nav(page, pages, lambda p: TopicPage(name, p))


async def show_topic(out: Out, data: BotData, phrase: str) -> None:
    """/topic [phrase]: every topic as a button, the first page of one, or the nearest ones."""
    engine = data.service.engine
    if engine is None:
        await out.send([UNAVAILABLE])
        return
    gen = engine.gen
    if not phrase:
        counts = gen.topics()
        if not counts:
            await out.send(["Chưa có chủ đề nào trong kho bài báo."])
            return
        buttons = [[InlineKeyboardButton(f"{t} ({n})", callback_data=TopicPage(t, 0))]
                   for t, n in list(counts.items())[:MAX_TOPIC_BUTTONS]]
        await out.send(["🗂 Chọn một chủ đề:"], InlineKeyboardMarkup(buttons))
        return
    name = topics.find(gen, phrase)
    if name is not None:
        view = topic_view(data, name, 0)
        assert view is not None
        await out.send([view[0]], view[1])
        return
    await _unknown_topic(out, data, phrase)


async def _unknown_topic(out: Out, data: BotData, phrase: str) -> None:
    svc = data.service
    engine = svc.engine
    assert engine is not None
    near = topics.closest(engine.gen, phrase)
    text = f"Không có chủ đề «{html.escape(phrase)}»."
    if near:
        text += " Chủ đề gần nhất: " + ", ".join(f"<b>{html.escape(t)}</b>" for t in near) + "."
    ans = await asyncio.to_thread(svc.answer, phrase, 3, 0)
    if ans is not None and ans.hits:
        text += "\n\nBài viết liên quan:\n" + "\n".join(
            "• " + render.source_line(h.title, h.url, h.published).removeprefix("📰 ") for h in ans.hits)
    await out.send([text], column([(f"🗂 {t}", TopicPage(t, 0)) for t in near]))


async def turn_topic(out: Out, data: BotData, press: TopicPage) -> None:
    """A topic button or ◀ ▶: that page, unless the topic left the index since."""
    engine = data.service.engine
    name = topics.find(engine.gen, press.topic) if engine else None
    view = topic_view(data, name, press.page) if name is not None else None
    if view is None:
        await out.notice(GONE)
        return
    await out.page(view[0], view[1], HEAD)


async def on_topic(update: Update, context: Context) -> None:
    if update.message is not None:
        await show_topic(ChatOut(update.message), context.bot_data, " ".join(context.args or []).strip())


async def on_topic_page(update: Update, context: Context) -> None:
    press = update.callback_query.data if update.callback_query else None
    assert isinstance(press, TopicPage)  # the handler's pattern
    await pressed(update, lambda out: turn_topic(out, context.bot_data, press))
