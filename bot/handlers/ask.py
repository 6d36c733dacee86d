"""Questions: private messages, mentions/replies/`/hoi` in groups, "Xem thêm" and 👍/👎."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType

from bot import questionlog, render, smalltalk, topics
from bot.buttons import More, TopicPage, Vote, column
from bot.context import BotData, Context
from bot.handlers.common import UNAVAILABLE, ChatOut, Out, pressed
from index.answer import Answer

log = logging.getLogger(__name__)
PAGE = 3
HOI_USAGE = "Bạn gõ câu hỏi sau lệnh, ví dụ: /hoi chuyển đổi số ở Hà Tĩnh"


def _buttons(question: str, ans: Answer, next_offset: int | None) -> InlineKeyboardMarkup:
    hit_ids = tuple(h.article_id for h in ans.hits)
    row = [InlineKeyboardButton("👍", callback_data=Vote(question, hit_ids, 1)),
           InlineKeyboardButton("👎", callback_data=Vote(question, hit_ids, -1))]
    if next_offset is not None:
        row.insert(0, InlineKeyboardButton("Xem thêm ▶", callback_data=More(question, next_offset)))
    return InlineKeyboardMarkup([row])


def _question_in_group(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question when the bot is addressed in a group, else None."""
    text = message.text or ""
    mention = f"@{bot_username}".lower()
    for ent in message.entities:
        if ent.type == MessageEntity.MENTION and message.parse_entity(ent).lower() == mention:
            return (text[:ent.offset] + text[ent.offset + ent.length:]).strip()
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return text.strip()
    return None


async def on_text(update: Update, context: Context) -> None:
    message = update.message
    if message is None or not message.text:
        return
    if message.chat.type == ChatType.PRIVATE:
        question: str | None = message.text
    else:
        question = _question_in_group(message, context.bot.username, context.bot.id)
    if question is not None:
        await answer_question(ChatOut(message), context.bot_data, question)


async def on_hoi(update: Update, context: Context) -> None:
    """/hoi <câu hỏi> — asks in any chat."""
    if update.message is None:
        return
    question = " ".join(context.args or [])
    if not question:
        await ChatOut(update.message).send([HOI_USAGE])
        return
    await answer_question(ChatOut(update.message), context.bot_data, question)


async def answer_question(out: Out, data: BotData, question: str, offset: int = 0) -> None:
    """Small talk, an answer (one page of it, from `offset`) or a refusal: what a question gets."""
    await out.notice()  # a pressed button stops spinning before the search
    if offset == 0 and (short := smalltalk.reply_for(question)) is not None:  # "cảm ơn nhé", "ok", English
        await out.send([short])
        return
    await out.typing()
    started = time.perf_counter()
    # Every page is cut from one ranking, from the top: the bar is relative to the best hit,
    # and a page starts exactly where the one before stopped.
    ans = await asyncio.to_thread(data.service.answer, question, offset + PAGE + 1, 0, offset == 0)
    if ans is None:
        await out.send([UNAVAILABLE])
        return
    if not ans.is_question:
        await out.send([smalltalk.HELLO])
        return
    if offset == 0:  # "Xem thêm" pages through a question already logged
        await questionlog.remember(data.questions, ans, (time.perf_counter() - started) * 1000,
                                   out.where, out.asker)
    if not ans.answered or not ans.hits:
        await _refuse(out, data, ans)
        return
    passing = render.shown(ans.hits)
    page = replace(ans, hits=tuple(passing[offset:offset + PAGE]))
    if not page.hits:
        await out.send(["Không còn kết quả nào đủ gần với câu hỏi này."])
        return
    more = offset + len(page.hits) if len(passing) > offset + len(page.hits) else None
    await out.send(render.answer_messages(page, offset), _buttons(question, page, more))


async def _refuse(out: Out, data: BotData, ans: Answer) -> None:
    engine = data.service.engine
    # Only topics related to the question: an unrelated suggestion reads as not listening.
    near = topics.related(engine.gen, ans.question, [(h.title, h.topics) for h in ans.hits]) if engine else []
    await out.send([render.refusal_message(ans.question, near, ans.period)],
                   column([(f"🗂 {t}", TopicPage(t, 0)) for t in near]))


async def on_more(update: Update, context: Context) -> None:
    press = update.callback_query.data if update.callback_query else None
    assert isinstance(press, More)  # the handler's pattern
    await pressed(update, lambda out: answer_question(out, context.bot_data, press.question, press.offset))


async def on_vote(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    assert query is not None
    vote = query.data
    assert isinstance(vote, Vote)  # the handler's pattern
    await questionlog.remember_vote(context.bot_data.questions, vote.question, vote.vote, query.from_user.id,
                                    vote.hit_ids, chat.type if chat else None)
    await query.answer("Cảm ơn bạn đã góp ý! 🙏")
