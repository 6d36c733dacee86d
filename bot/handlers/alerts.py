"""/theodoi, /huytheodoi, /dangtheodoi: follow a topic or keywords; new articles are pushed."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.alerts import Alerts, matching
from bot.alerts.store import Subscription
from bot.buttons import Unsubscribe
from bot.context import Context
from bot.handlers.common import reply
from bot.topics import key

log = logging.getLogger(__name__)
MAX_PER_CHAT = 20
ADMINS_ONLY = "Trong nhóm, chỉ quản trị viên mới đăng ký hoặc hủy theo dõi cho cả nhóm."
USAGE = ("Bạn muốn nhận tin gì? Gõ /theodoi rồi một chủ đề hoặc từ khóa, ví dụ "
         "<i>/theodoi chuyển đổi số</i> hoặc <i>/theodoi giá lúa</i>. Khi có bài mới, mình gửi ngay cho bạn.")
EMPTY = "Bạn chưa theo dõi gì. " + USAGE


def alerts(context: Context) -> Alerts:
    hub = context.bot_data.alerts
    assert hub is not None, "bot.alerts.install runs at build"
    return hub


async def may_manage(update: Update, context: Context) -> bool:
    """In a private chat, the reader; in a group, only its administrators (getChatMember)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None and update.callback_query is None:
        return message.sender_chat.id == chat.id  # an anonymous admin writes as the group itself
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember failed in chat %s: %s", chat.id, exc)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def _what(sub: Subscription | matching.Wanted) -> str:
    return f"{'chủ đề' if sub.kind == 'topic' else 'từ khóa'} <b>{html.escape(sub.label)}</b>"


def listing(subs: list[Subscription]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not subs:
        return EMPTY, None
    text = "🔔 <b>Đang theo dõi</b>\n" + "\n".join(f"• {_what(s)}" for s in subs) + "\n\nBấm ❌ để hủy."
    buttons = [[InlineKeyboardButton(f"❌ {s.label[:50]}", callback_data=Unsubscribe(s.id))] for s in subs]
    return text, InlineKeyboardMarkup(buttons)


async def on_follow(update: Update, context: Context) -> None:
    message, chat = update.message, update.effective_chat
    if message is None or chat is None:
        return
    phrase = " ".join(context.args or []).strip()
    if not phrase:
        await reply(message, [USAGE])
        return
    if not await may_manage(update, context):
        await reply(message, [ADMINS_ONLY])
        return
    hub = alerts(context)
    engine = context.bot_data.service.engine
    wanted = matching.resolve(engine.gen if engine else None, phrase, hub.analyzer())
    if wanted is None:
        await reply(message, [f"«{html.escape(phrase)}» không có từ nào để theo dõi. " + USAGE])
        return
    subs = await asyncio.to_thread(hub.store.subscriptions, chat.id)
    if len(subs) >= MAX_PER_CHAT and all(s.key != wanted.key for s in subs):
        await reply(message, [f"Mỗi cuộc trò chuyện theo dõi tối đa {MAX_PER_CHAT} mục. Hủy bớt bằng /dangtheodoi."])
        return
    added = await asyncio.to_thread(hub.store.subscribe, chat.id, wanted.kind, wanted.key, wanted.label)
    if not added:
        await reply(message, [f"Bạn đã theo dõi {_what(wanted)} rồi. /dangtheodoi để xem danh sách."])
        return
    await reply(message, [f"🔔 Đã theo dõi {_what(wanted)}. Khi có bài mới, mình gửi ngay cho bạn "
                          "(tối đa 10 tin mỗi giờ, phần còn lại gộp thành một tin).\n"
                          "/dangtheodoi để xem, /huytheodoi để hủy."])


async def on_unfollow(update: Update, context: Context) -> None:
    message, chat = update.message, update.effective_chat
    if message is None or chat is None:
        return
    phrase = " ".join(context.args or []).strip()
    if not phrase:
        await on_following(update, context)
        return
    if not await may_manage(update, context):
        await reply(message, [ADMINS_ONLY])
        return
    label = await asyncio.to_thread(alerts(context).store.unsubscribe, chat.id, key(phrase))
    if label is None:
        await reply(message, [f"Bạn không theo dõi «{html.escape(phrase)}». /dangtheodoi để xem danh sách."])
    else:
        await reply(message, [f"🔕 Đã hủy theo dõi <b>{html.escape(label)}</b>."])


async def on_following(update: Update, context: Context) -> None:
    message, chat = update.message, update.effective_chat
    if message is None or chat is None:
        return
    text, markup = listing(await asyncio.to_thread(alerts(context).store.subscriptions, chat.id))
    await reply(message, [text], markup)


async def on_unsub_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    assert query is not None
    press = query.data
    assert isinstance(press, Unsubscribe)  # the handler's pattern
    if chat is None:
        await query.answer()
        return
    if not await may_manage(update, context):
        await query.answer(ADMINS_ONLY, show_alert=True)
        return
    store = alerts(context).store
    label = await asyncio.to_thread(store.unsubscribe, chat.id, None, press.sub_id)
    await query.answer(f"Đã hủy theo dõi {label}." if label else "Mục này đã được hủy.")
    text, markup = listing(await asyncio.to_thread(store.subscriptions, chat.id))
    if isinstance(query.message, Message):
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
