"""What a button means, as callback data (`arbitrary_callback_data`).

PTB keeps these objects in a bounded in-memory cache and sends Telegram only an
opaque id; a press of a button whose id has left the cache (or was never ours)
arrives as `InvalidCallbackData`. They are the bot's own objects, so a handler
trusts their fields — but a topic may have gone since the button was made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

NEXT, PREV = "▶", "◀"


@dataclass(frozen=True, slots=True)
class Ask:
    """An example question of /start."""

    question: str


@dataclass(frozen=True, slots=True)
class More:
    """"Xem thêm": the answers after `offset`."""

    question: str
    offset: int


@dataclass(frozen=True, slots=True)
class Vote:
    """👍 (1) / 👎 (-1) on an answer, with the articles it quoted."""

    question: str
    hit_ids: tuple[str, ...]
    vote: int


@dataclass(frozen=True, slots=True)
class TopicPage:
    topic: str
    page: int


@dataclass(frozen=True, slots=True)
class NewsPage:
    """/moi: the newest articles of `topic` (None: of every topic)."""

    topic: str | None
    page: int


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    sub_id: int


Pressable = Ask | More | Vote | TopicPage | NewsPage | Unsubscribe


def nav(page: int, pages: int, to: Callable[[int], TopicPage | NewsPage]) -> InlineKeyboardMarkup | None:
    """◀ ▶ under a page of a listing, or nothing when it has a single page."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(PREV, callback_data=to(page - 1)))
    if page + 1 < pages:
        row.append(InlineKeyboardButton(NEXT, callback_data=to(page + 1)))
    return InlineKeyboardMarkup([row]) if row else None


def column(buttons: list[tuple[str, Pressable]]) -> InlineKeyboardMarkup | None:
    """One button a row (topic suggestions), or nothing."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]
                                 for label, data in buttons]) if buttons else None
