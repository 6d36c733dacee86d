"""/baocao for admins (the last seven days: a chart and the top unanswered subjects), and the
question log's place in the Application: opened at build, old rows purged daily."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import time

from telegram import Update

from bot import questionlog, report
from bot.context import App, Context
from bot.handlers.admin import admin_only
from bot.handlers.common import reply
from bot.report.data import TZ, day_of
from bot.settings import BotSettings

log = logging.getLogger(__name__)
TOP = 5
PURGE_AT = dt.time(3, 30, tzinfo=TZ)  # a quiet hour in the newsroom's day
OFF = "Nhật ký câu hỏi đang tắt (QUESTION_LOG=off): chưa có gì để báo cáo."


def summary(rep: report.Report) -> str:
    """The text that goes with the chart: counts, votes and the top unanswered clusters."""
    lines = [f"📈 <b>Bạn đọc hỏi gì</b> — {rep.period}",
             f"Câu hỏi: {rep.questions} · đã trả lời: {rep.answered}"
             + (f" ({100 * rep.answered / rep.questions:.0f}%)" if rep.questions else ""),
             f"👍 {rep.up} · 👎 {rep.down}"]
    if rep.topics:
        lines.append("Chủ đề được hỏi nhiều: " + ", ".join(f"{html.escape(t)} ({n})" for t, n in rep.topics[:3]))
    if not rep.clusters:
        lines.append("\nKhông có câu hỏi nào chưa trả lời được. 🎉")
        return "\n".join(lines)
    lines.append(f"\n❓ <b>Bạn đọc muốn biết, báo chưa viết</b> (top {min(TOP, len(rep.clusters))}):")
    for i, c in enumerate(rep.clusters[:TOP], 1):
        example = c.examples[0] if len(c.examples[0]) <= 120 else c.examples[0][:118] + "…"
        line = f"{i}. «{html.escape(example)}» — {c.size} lần"
        if c.closest is not None:
            line += f"\n    gần nhất: {html.escape(c.closest.title)}"
        lines.append(line)
    return "\n".join(lines)


@admin_only("baocao")
async def on_baocao(update: Update, context: Context) -> None:
    assert update.message is not None
    qlog = context.bot_data.questions
    if qlog is None:
        await update.message.reply_text(OFF)
        return
    today = day_of(time.time())
    rep, png = await asyncio.to_thread(report.week, qlog.path, today, context.bot_data.service.engine)
    await update.message.reply_photo(png, caption=f"Hỏi Báo · 7 ngày {rep.period}")
    await reply(update.message, [summary(rep)])


async def purge(context: Context) -> None:
    """Delete rows older than QUESTION_LOG_DAYS (a JobQueue job: daily, and once at start)."""
    qlog = context.bot_data.questions
    if qlog is None:
        return
    days = context.bot_data.settings.question_log_days
    gone = await asyncio.to_thread(qlog.purge, days)
    log.info("question log: deleted %d questions older than %d days", gone, days)


def install(app: App, config: BotSettings) -> None:
    """Open the log (moving old feedback in) and schedule its retention; nothing when off."""
    qlog = questionlog.open_log(config.question_log_file, config.question_log_secret, config.feedback_file)
    if qlog is None:
        log.info("question log is off (QUESTION_LOG=off)")
        return
    app.bot_data.questions = qlog
    if app.job_queue is None:  # only without PTB's job-queue extra, which the project installs
        log.warning("no JobQueue: old questions are not purged daily")
        return
    app.job_queue.run_once(purge, 0, name="question-log-purge-start")
    app.job_queue.run_daily(purge, PURGE_AT, name="question-log-purge")
