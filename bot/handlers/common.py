"""What the handlers share: where replies go (a chat, or the console), admin checks, sending."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from telegram import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.context import Context
from bot.settings import NEVER_ADMINS

log = logging.getLogger(__name__)

UNAVAILABLE = "Kho bài báo đang được cập nhật hoặc chưa sẵn sàng. Bạn vui lòng thử lại sau ít phút."
EXPIRED = "Nút này đã hết hạn, bạn hãy hỏi lại nhé."


class Out(Protocol):
    """Where a handler's reply goes. The handlers' logic writes only to this, so the console
    (bot/console.py) runs the very same logic and prints what a chat would have received."""

    @property
    def where(self) -> str:
        """The chat type, for the question log."""

    @property
    def asker(self) -> int | None:
        """Who asked, for the question log (keyed-hashed there)."""

    async def send(self, texts: Sequence[str], markup: InlineKeyboardMarkup | None = None) -> None:
        """New message(s); the buttons go under the last one."""

    async def page(self, text: str, markup: InlineKeyboardMarkup | None, head: str) -> None:
        """A page of a listing: replaces the page whose button was pressed when it starts with `head`."""

    async def typing(self) -> None:
        """A hint that a slow answer is coming."""

    async def notice(self, text: str | None = None) -> None:
        """The short answer to a pressed button (stops its spinner); nothing without a button."""


class ChatOut:
    """Replies in the Telegram chat of `message`; `query`: the button pressed on it, if any."""

    def __init__(self, message: Message, query: CallbackQuery | None = None) -> None:
        self.message = message
        self.query = query
        self._answered = False

    @property
    def where(self) -> str:
        return self.message.chat.type

    @property
    def asker(self) -> int | None:
        """The sender, or for a button under the bot's own message, the private chat."""
        user = self.message.from_user
        if user is not None and not user.is_bot:
            return user.id
        return self.message.chat.id if self.message.chat.type == ChatType.PRIVATE else None

    async def send(self, texts: Sequence[str], markup: InlineKeyboardMarkup | None = None) -> None:
        await reply(self.message, list(texts), markup)

    async def page(self, text: str, markup: InlineKeyboardMarkup | None, head: str) -> None:
        await self.notice()
        if self.query is None or not (self.message.text or "").startswith(head):
            await self.send([text], markup)
            return
        try:
            await self.query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    async def typing(self) -> None:
        await typing(self.message)

    async def notice(self, text: str | None = None) -> None:
        if self.query is not None and not self._answered:  # a query is answered once
            self._answered = True
            await self.query.answer(text)


async def pressed(update: Update, run: Callable[[ChatOut], Awaitable[None]]) -> None:
    """Run a button's logic on the message it is under; its query is always answered."""
    query = update.callback_query
    assert query is not None
    if not isinstance(query.message, Message):  # too old for Telegram to tell us
        await query.answer()
        return
    out = ChatOut(query.message, query)
    await run(out)
    await out.notice()


async def on_expired(update: Update, context: Context) -> None:
    """A button PTB's callback cache no longer knows (or never knew): say so, politely."""
    if update.callback_query is not None:
        await update.callback_query.answer(EXPIRED)


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
    return user.id not in NEVER_ADMINS and user.id in context.bot_data.settings.admin_ids


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

