"""Questions: private messages, mentions/replies/`/hoi` in groups, "Xem thêm" and 👍/👎."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType

from bot import questionlog, render, smalltalk, topics
from bot.handlers.common import UNAVAILABLE, Context, asked, reply, service, typing
from index.answer import Answer

log = logging.getLogger(__name__)
PAGE = 3


def _buttons(qid: str, next_offset: int | None) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton("👍", callback_data=f"fb:{qid}:+"),
           InlineKeyboardButton("👎", callback_data=f"fb:{qid}:-")]
    if next_offset is not None:
        row.insert(0, InlineKeyboardButton("Xem thêm ▶", callback_data=f"more:{qid}:{next_offset}"))
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
        await answer_question(message, context, question)


async def on_hoi(update: Update, context: Context) -> None:
    """/hoi <câu hỏi> — asks in any chat."""
    if update.message is None:
        return
    question = " ".join(context.args or [])
    if not question:
        await update.message.reply_text("Bạn gõ câu hỏi sau lệnh, ví dụ: /hoi chuyển đổi số ở Hà Tĩnh")
        return
    await answer_question(update.message, context, question)


async def answer_question(message: Message, context: Context, question: str, offset: int = 0) -> None:
    svc = service(context)
    if offset == 0 and (short := smalltalk.reply_for(question)) is not None:  # "cảm ơn nhé", "ok", English
        await reply(message, [short])
        return
    await typing(message)
    started = time.perf_counter()
    ans = await asyncio.to_thread(svc.answer, question, PAGE, offset)
    if ans is None:
        await message.reply_text(UNAVAILABLE)
        return
    if not ans.is_question:
        await message.reply_text(smalltalk.HELLO)
        return
    if offset == 0:  # "Xem thêm" pages through a question already logged
        await questionlog.remember(context.bot_data, ans, (time.perf_counter() - started) * 1000,
                                   message.chat.type, _asker(message))
    if not ans.answered or not ans.hits:
        await _refuse(message, context, ans)
        return
    qid = asked(context).put(question, tuple(h.article_id for h in ans.hits))
    more = offset + PAGE if len(ans.hits) == PAGE else None
    await reply(message, render.answer_messages(ans, offset), _buttons(qid, more))


async def _refuse(message: Message, context: Context, ans: Answer) -> None:
    engine = service(context).engine
    # Only topics related to the question: an unrelated suggestion reads as not listening.
    near = topics.related(engine.gen, ans.question, [(h.title, h.topics) for h in ans.hits]) if engine else []
    markup = None
    if near:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(f"🗂 {t}", callback_data=f"tp:{topics.topic_id(t)}:0")]
                                       for t in near])
    await reply(message, [render.refusal_message(ans.question, near, ans.period)], markup)


async def on_more(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, qid, offset = query.data.split(":", 2)
    item = asked(context).get(qid)
    if item is None or not offset.isdigit() or int(offset) > 60:
        await query.answer("Câu hỏi này đã hết hạn, bạn hỏi lại nhé.")
        return
    await query.answer()
    if isinstance(query.message, Message):
        await answer_question(query.message, context, item.question, int(offset))


async def on_feedback(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    _, qid, vote = query.data.split(":", 2)
    item = asked(context).get(qid)
    if item is None or vote not in "+-" or len(vote) != 1:
        await query.answer("Câu hỏi này đã hết hạn.")
        return
    chat = update.effective_chat
    await questionlog.remember_vote(context.bot_data, item.question, 1 if vote == "+" else -1,
                                    update.effective_user.id, item.hit_ids, chat.type if chat else None)
    await query.answer("Cảm ơn bạn đã góp ý! 🙏")


def _asker(message: Message) -> int | None:
    """Who asked: the sender, or for an example button (the bot's own message) the private chat."""
    user = message.from_user
    if user is not None and not user.is_bot:
        return user.id
    return message.chat.id if message.chat.type == ChatType.PRIVATE else None
