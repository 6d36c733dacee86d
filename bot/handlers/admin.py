"""/start, /help, and the admin commands /stats and /reindex."""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.buttons import Ask, NewsPage, TopicPage
from bot.context import BotData, Context
from bot.examples import cached_start_examples
from bot.handlers.ask import answer_question
from bot.handlers.common import ChatOut, Out, is_admin_command, pressed
from bot.render import shorten
from bot.service import IndexService, RebuildState

log = logging.getLogger(__name__)
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
STARTED = "🔄 Đang xây lại chỉ mục: bắt đầu…"
PROGRESS_EVERY = 2.0  # seconds between progress edits (Telegram's edit limits)

HELP = (
    "🤖 <b>Hỏi Báo</b> trả lời câu hỏi bằng cách trích nguyên văn câu trong bài báo, kèm đường dẫn.\n\n"
    "• Gõ câu hỏi, có dấu hay không dấu đều được: <i>chuyen doi so o Ha Tinh</i>\n"
    "• /topic — các chủ đề; /topic chuyển đổi số — bài theo chủ đề\n"
    "• /moi — tin mới nhất; /moi chuyển đổi số — tin mới theo chủ đề\n"
    "• /theodoi &lt;chủ đề hoặc từ khóa&gt; — nhận tin mới ngay khi có bài; /dangtheodoi, /huytheodoi\n"
    "• Trong nhóm: nhắc tên bot, trả lời tin của bot, hoặc /hoi &lt;câu hỏi&gt;\n"
    "• Ở bất kỳ cuộc trò chuyện nào: gõ @tên_bot rồi câu hỏi để chèn câu trả lời\n"
    "• 👍/👎 dưới câu trả lời giúp chúng tôi cải thiện."
)


WELCOME = ("Xin chào! 👋 Mình là <b>Hỏi Báo</b>. Hãy hỏi mình về tin tức, mình sẽ trích đúng câu trong bài báo "
           "trả lời bạn.\n\nThử một câu hỏi, hoặc xem bài theo chủ đề:")


async def welcome(out: Out, data: BotData) -> None:
    """/start: the greeting, example questions that name their subject, a topic and the newest."""
    engine = data.service.engine
    buttons = []
    if engine is not None:
        start = await asyncio.to_thread(cached_start_examples, engine)
        for question in start.questions:  # each names its subject, fits uncut, and is answered
            buttons.append([InlineKeyboardButton(question, callback_data=Ask(question))])
        browse = [InlineKeyboardButton("🆕 Tin mới nhất", callback_data=NewsPage(None, 0))]
        if start.topic:
            browse.insert(0, InlineKeyboardButton(f"🗂 {shorten(start.topic, 28)}",
                                                  callback_data=TopicPage(start.topic, 0)))
        buttons.append(browse)
    await out.send([WELCOME], InlineKeyboardMarkup(buttons) if buttons else None)


async def on_start(update: Update, context: Context) -> None:
    if update.message is not None:
        await welcome(ChatOut(update.message), context.bot_data)


async def on_example(update: Update, context: Context) -> None:
    press = update.callback_query.data if update.callback_query else None
    assert isinstance(press, Ask)  # the handler's pattern
    await pressed(update, lambda out: answer_question(out, context.bot_data, press.question))


async def on_help(update: Update, context: Context) -> None:
    if update.message is not None:
        await update.message.reply_text(HELP.replace("@tên_bot", f"@{context.bot.username}"))


async def _refuse(update: Update, command: str) -> None:
    user = update.effective_user
    log.warning("refused /%s from user %s in chat %s", command, user.id if user else None,
                update.effective_chat.id if update.effective_chat else None)
    if update.effective_message is not None and update.edited_message is None and update.channel_post is None:
        await update.effective_message.reply_text("Xin lỗi, lệnh này chỉ dành cho quản trị viên.")


def admin_only(command: str) -> Callable[[Handler], Handler]:
    """Run the handler only for an admin's fresh command; refuse (and log) everyone else."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Context) -> None:
            if not is_admin_command(update, context):
                await _refuse(update, command)
                return
            await handler(update, context)
        return guarded
    return wrap


@admin_only("stats")
async def on_stats(update: Update, context: Context) -> None:
    assert update.message is not None
    svc = context.bot_data.service
    lines = ["📊 <b>Thống kê</b>"]
    if svc.engine is not None:
        m = svc.engine.gen.manifest
        lines += [f"Bài báo: {m['articles']}", f"Đoạn (chunk): {m['chunks']}",
                  f"Thế hệ chỉ mục: <code>{html.escape(svc.engine.gen.name)}</code>",
                  f"Xây lúc: {html.escape(str(m.get('built_at')))}",
                  f"Mô hình: {html.escape(str(m.get('model') or 'chỉ BM25'))}"]
        if svc.error:  # serving an older generation: the live one failed to load
            lines.append(f"⚠️ Thế hệ mới nhất lỗi: {html.escape(svc.error)}")
    else:
        lines.append(f"Chỉ mục chưa sẵn sàng: {html.escape(svc.error or '')}")
    p50, p95 = svc.stats.percentile(50), svc.stats.percentile(95)
    lines.append(f"Câu hỏi đã trả lời: {svc.stats.questions}")
    if p50 is not None and p95 is not None:
        lines.append(f"Thời gian trả lời p50/p95: {p50:.0f}/{p95:.0f} ms")
    await update.message.reply_text("\n".join(lines))


def progress_text(state: RebuildState) -> str:
    elapsed = time.monotonic() - state.started
    if state.running:
        return f"🔄 Đang xây lại chỉ mục: {state.phase} {state.percent()}% · {elapsed:.0f} giây"
    if state.error:
        return f"❌ Xây lại thất bại: {html.escape(state.error)}\nChỉ mục cũ vẫn đang phục vụ."
    s = state.summary
    assert s is not None
    return (f"✅ Xong sau {elapsed:.0f} giây: {s.articles} bài, {s.chunks} đoạn, "
            f"nhúng mới {s.embedded}, dùng lại {s.reused}, bỏ qua {len(s.skipped)}.\n"
            f"Thế hệ mới: <code>{html.escape(s.generation)}</code> đang phục vụ.")


@admin_only("reindex")
async def on_reindex(update: Update, context: Context) -> None:
    assert update.message is not None
    svc = context.bot_data.service
    if not svc.start_rebuild():
        await update.message.reply_text(progress_text(svc.rebuild))
        return
    # This command started it: say so, whatever the thread has reached by now (a rebuild that
    # fails at once would otherwise be reported before it was announced); _follow edits on.
    msg = await update.message.reply_text(STARTED)
    context.application.create_task(_follow(msg, svc), update=update)


async def _follow(msg: Message, svc: IndexService) -> None:
    """Edit one progress message at most every PROGRESS_EVERY seconds until the rebuild ends."""
    state = svc.rebuild
    last = msg.text_html if msg.text else ""
    final_tries = 5
    while final_tries:
        await asyncio.sleep(PROGRESS_EVERY)
        done = not state.running
        text = progress_text(state)
        if text != last:
            try:
                await msg.edit_text(text, parse_mode=ParseMode.HTML)
                last = text
            except TelegramError as exc:  # a failed edit must not stop the follow-up
                log.warning("progress edit failed: %s", exc)
        if done:
            if text == last:
                return
            final_tries -= 1
