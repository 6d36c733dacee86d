"""What the handlers share: the service, remembered questions, admin checks, replies."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot.service import IndexService
from bot.settings import NEVER_ADMINS, BotSettings

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True, slots=True)
class Asked:
    question: str
    hit_ids: tuple[str, ...]


class AskedStore:
    """Recent questions by short id, for "Xem thêm" and feedback buttons (callback data is ≤ 64 bytes)."""

    def __init__(self, size: int = 5000) -> None:
        self._items: OrderedDict[str, Asked] = OrderedDict()
        self._size = size

    def put(self, question: str, hit_ids: tuple[str, ...] = ()) -> str:
        qid = hashlib.sha1(question.encode(), usedforsecurity=False).hexdigest()[:12]
        self._items[qid] = Asked(question, hit_ids)
        self._items.move_to_end(qid)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return qid

    def get(self, qid: str) -> Asked | None:
        return self._items.get(qid)


def service(context: Context) -> IndexService:
    svc: IndexService = context.bot_data["service"]
    return svc


def settings(context: Context) -> BotSettings:
    s: BotSettings = context.bot_data["settings"]
    return s


def asked(context: Context) -> AskedStore:
    store: AskedStore = context.bot_data["asked"]
    return store


def is_admin_command(update: Update, context: Context) -> bool:
    """Only a fresh (not edited, not forwarded) message from a listed user id.

    Channel posts, edited messages, the anonymous group admin (1087968824) and
    Telegram's service account (777000) never count, whatever ADMIN_USER_IDS says.
    """
    msg = update.message
    user = update.effective_user
    if msg is None or user is None or update.edited_message or update.channel_post:
        return False
    if msg.forward_origin is not None or msg.sender_chat is not None:
        return False
    return user.id not in NEVER_ADMINS and user.id in settings(context).admin_ids


SEND_ATTEMPTS = 3


async def reply(message: Message, texts: list[str], markup: InlineKeyboardMarkup | None = None,
                **kwargs: Any) -> Message | None:
    """Send message parts in order; the buttons go on the last part.

    A part refused with a 5xx or a dropped connection is sent again (Telegram did
    not take it); a timeout is not, since the message may have arrived and a
    reader must never get an answer twice. 429s are retried by the rate limiter."""
    last = None
    for i, text in enumerate(texts):
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                last = await message.reply_text(text, parse_mode=ParseMode.HTML,
                                                link_preview_options=LinkPreviewOptions(is_disabled=True),
                                                reply_markup=markup if i == len(texts) - 1 else None, **kwargs)
                break
            except NetworkError as exc:
                if isinstance(exc, TimedOut) or attempt == SEND_ATTEMPTS:
                    raise
                log.warning("send failed (%s), attempt %d of %d", exc, attempt, SEND_ATTEMPTS)
                await asyncio.sleep(0.5 * attempt)
    return last


async def typing(message: Message) -> None:
    """The "typing…" hint is a courtesy: failing to show it must not cost the answer."""
    try:
        await message.chat.send_action(ChatAction.TYPING)
    except TelegramError as exc:
        log.debug("typing action failed: %s", exc)


UNAVAILABLE = "Kho bài báo đang được cập nhật hoặc chưa sẵn sàng. Bạn vui lòng thử lại sau ít phút."
