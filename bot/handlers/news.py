"""/moi [chủ đề]: the newest articles, of all topics or one, paged like /topic."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import render, topics
from bot.handlers.common import UNAVAILABLE, Context, reply, service

ALL = "-"  # callback id for "every topic"
HEAD = "🆕 Tin mới nhất"


def _nav(tid: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"nw:{tid}:{page - 1}"))
    if page + 1 < pages:
        row.append(InlineKeyboardButton("▶", callback_data=f"nw:{tid}:{page + 1}"))
    return InlineKeyboardMarkup([row]) if row else None


def news_view(context: Context, topic: str | None, page: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    engine = service(context).engine
    if engine is None:
        return None
    items, page, pages = topics.page(topics.newest(engine.gen, topic), page)
    tid = topics.topic_id(topic) if topic else ALL
    return render.news_page(topic, items, page, pages), _nav(tid, page, pages)


async def on_moi(update: Update, context: Context) -> None:
    message = update.message
    if message is None:
        return
    engine = service(context).engine
    if engine is None:
        await message.reply_text(UNAVAILABLE)
        return
    phrase = " ".join(context.args or []).strip()
    name = topics.find(engine.gen, phrase) if phrase else None
    if phrase and name is None:
        near = topics.closest(engine.gen, phrase)
        text = f"Không có chủ đề «{html.escape(phrase)}»."
        if near:
            text += " Tin mới của chủ đề gần nhất:"
        buttons = [[InlineKeyboardButton(f"🆕 {t}", callback_data=f"nw:{topics.topic_id(t)}:0")] for t in near]
        await reply(message, [text], InlineKeyboardMarkup(buttons) if buttons else None)
        return
    view = news_view(context, name, 0)
    assert view is not None
    await reply(message, [view[0]], view[1])


async def on_news_page(update: Update, context: Context) -> None:
    """◀ ▶ under a /moi page (and the "Tin mới nhất" button of /start)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, tid, page = query.data.split(":", 2)
    engine = service(context).engine
    name = topics.by_id(engine.gen, tid) if engine and tid != ALL else None
    if engine is None or (tid != ALL and name is None) or not page.isdigit():
        await query.answer("Trang này không còn nữa.")
        return
    view = news_view(context, name, int(page))
    assert view is not None
    await query.answer()
    try:
        if isinstance(query.message, Message) and query.message.text and query.message.text.startswith(HEAD):
            await query.edit_message_text(view[0], parse_mode=ParseMode.HTML, reply_markup=view[1])
        elif isinstance(query.message, Message):
            await reply(query.message, [view[0]], view[1])
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
