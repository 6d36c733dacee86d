"""/topic: browse articles by topic, newest first, 5 a page."""

from __future__ import annotations

import asyncio
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import render, topics
from bot.handlers.common import UNAVAILABLE, Context, reply, service

MAX_TOPIC_BUTTONS = 30


def _nav(tid: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"tp:{tid}:{page - 1}"))
    if page + 1 < pages:
        row.append(InlineKeyboardButton("▶", callback_data=f"tp:{tid}:{page + 1}"))
    return InlineKeyboardMarkup([row]) if row else None


def topic_view(ctx: Context, name: str, page: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    engine = service(ctx).engine
    if engine is None:
        return None
    items, page, pages = topics.page(topics.articles(engine.gen, name), page)
    return render.topic_page(name, items, page, pages), _nav(topics.topic_id(name), page, pages)


async def on_topic(update: Update, context: Context) -> None:
    message = update.message
    if message is None:
        return
    engine = service(context).engine
    if engine is None:
        await message.reply_text(UNAVAILABLE)
        return
    phrase = " ".join(context.args or []).strip()
    gen = engine.gen
    if not phrase:
        counts = gen.topics()
        if not counts:
            await message.reply_text("Chưa có chủ đề nào trong kho bài báo.")
            return
        buttons = [[InlineKeyboardButton(f"{t} ({n})", callback_data=f"tp:{topics.topic_id(t)}:0")]
                   for t, n in list(counts.items())[:MAX_TOPIC_BUTTONS]]
        await message.reply_text("🗂 Chọn một chủ đề:", reply_markup=InlineKeyboardMarkup(buttons))
        return
    name = topics.find(gen, phrase)
    if name is not None:
        view = topic_view(context, name, 0)
        assert view is not None
        await reply(message, [view[0]], view[1])
        return
    await _unknown_topic(message, context, phrase)


async def _unknown_topic(message: Message, context: Context, phrase: str) -> None:
    svc = service(context)
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
    buttons = [[InlineKeyboardButton(f"🗂 {t}", callback_data=f"tp:{topics.topic_id(t)}:0")] for t in near]
    await reply(message, [text], InlineKeyboardMarkup(buttons) if buttons else None)


async def on_topic_page(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, tid, page = query.data.split(":", 2)
    engine = service(context).engine
    name = topics.by_id(engine.gen, tid) if engine else None
    if name is None or not page.isdigit():
        await query.answer("Chủ đề này không còn nữa.")
        return
    view = topic_view(context, name, int(page))
    assert view is not None
    await query.answer()
    try:
        if isinstance(query.message, Message) and query.message.text and query.message.text.startswith("🗂 Chủ đề"):
            await query.edit_message_text(view[0], parse_mode=ParseMode.HTML, reply_markup=view[1])
        elif isinstance(query.message, Message):
            await reply(query.message, [view[0]], view[1])
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
