"""/moi [chủ đề]: the newest articles, of all topics or one, paged like /topic."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update

from bot import render, topics
from bot.buttons import NewsPage, column, nav
from bot.context import BotData, Context
from bot.handlers.common import UNAVAILABLE, ChatOut, Out, pressed

HEAD = "🆕 Tin mới nhất"
GONE = "Trang này không còn nữa."


def news_view(data: BotData, topic: str | None, page: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    engine = data.service.engine
    if engine is None:
        return None
    items, page, pages = topics.page(topics.newest(engine.gen, topic), page)
    return render.news_page(topic, items, page, pages), nav(page, pages, lambda p: NewsPage(topic, p))


async def show_news(out: Out, data: BotData, phrase: str) -> None:
    """/moi [phrase]: the first page of the newest articles, or the topics nearest to `phrase`."""
    engine = data.service.engine
    if engine is None:
        await out.send([UNAVAILABLE])
        return
    name = topics.find(engine.gen, phrase) if phrase else None
    if phrase and name is None:
        near = topics.closest(engine.gen, phrase)
        text = f"Không có chủ đề «{html.escape(phrase)}»."
        if near:
            text += " Tin mới của chủ đề gần nhất:"
        await out.send([text], column([(f"🆕 {t}", NewsPage(t, 0)) for t in near]))
        return
    view = news_view(data, name, 0)
    assert view is not None
    await out.send([view[0]], view[1])


async def turn_news(out: Out, data: BotData, press: NewsPage) -> None:
    """◀ ▶ under a /moi page (and the "Tin mới nhất" button of /start)."""
    engine = data.service.engine
    name = topics.find(engine.gen, press.topic) if engine and press.topic is not None else None
    view = news_view(data, name, press.page) if press.topic is None or name is not None else None
    if view is None:
        await out.notice(GONE)
        return
    await out.page(view[0], view[1], HEAD)


async def on_moi(update: Update, context: Context) -> None:
    if update.message is not None:
        await show_news(ChatOut(update.message), context.bot_data, " ".join(context.args or []).strip())


async def on_news_page(update: Update, context: Context) -> None:
    press = update.callback_query.data if update.callback_query else None
    assert isinstance(press, NewsPage)  # the handler's pattern
    await pressed(update, lambda out: turn_news(out, context.bot_data, press))
