"""Build the python-telegram-bot Application: handlers, rate limiter, errors, logging."""

from __future__ import annotations

import logging
import re
import secrets

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    InvalidCallbackData,
    JobQueue,
    MessageHandler,
    filters,
)

from bot import alerts as bot_alerts
from bot.buttons import Ask, More, NewsPage, TopicPage, Unsubscribe, Vote
from bot.context import App, BotData, Context
from bot.handlers import admin, alerts, ask, inline, news, report, sources, topic
from bot.handlers.common import on_expired
from bot.jobs import schedule_sync
from bot.service import IndexService
from bot.settings import BotSettings

log = logging.getLogger(__name__)

# Keyboards whose buttons' data PTB keeps (least recently used dropped first): each answer,
# page and /start makes one, so a few thousand covers days of a busy chat's buttons.
CALLBACK_CACHE = 5000
_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactFilter(logging.Filter):
    """Removes bot tokens (and the webhook secret) from every log record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "[REDACTED]")
        return _TOKEN_RE.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            exc.args = tuple(self._clean(str(a)) if isinstance(a, str) else a for a in exc.args)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def redact_also(secret: str) -> None:
    """A secret made after logging was set up (a generated webhook secret)."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, RedactFilter) and secret not in f.secrets:
                f.secrets.append(secret)


def setup_logging(settings: BotSettings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    redact = RedactFilter([settings.token or "", settings.webhook_secret or ""])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


async def on_error(update: object, context: Context) -> None:
    """One handler for every error: log it, never let it stop the bot."""
    err = context.error
    if isinstance(err, RetryAfter | TimedOut | NetworkError | Forbidden):
        log.warning("Telegram error (survived): %s", err)
        return
    log.error("error while handling an update", exc_info=err)


COMMANDS = [BotCommand("start", "Bắt đầu"), BotCommand("help", "Hướng dẫn"),
            BotCommand("topic", "Xem bài theo chủ đề"), BotCommand("moi", "Tin mới nhất (theo chủ đề)"),
            BotCommand("theodoi", "Nhận tin mới về một chủ đề, từ khóa"),
            BotCommand("dangtheodoi", "Đang theo dõi"), BotCommand("huytheodoi", "Hủy theo dõi"),
            BotCommand("hoi", "Hỏi (trong nhóm)")]


async def _post_init(app: App) -> None:
    try:
        await app.bot.set_my_commands(COMMANDS)
    except (NetworkError, RetryAfter) as exc:
        log.warning("could not set the command menu: %s", exc)


def build_application(settings: BotSettings, svc: IndexService) -> App:
    assert settings.token, "TELEGRAM_BOT_TOKEN is required"
    builder = (ApplicationBuilder().token(settings.token)
               .context_types(ContextTypes(bot_data=BotData))
               .job_queue(JobQueue[Context]())  # typed: its jobs get the same Context
               .arbitrary_callback_data(CALLBACK_CACHE)
               .base_url(f"{settings.api_base_url}/bot")
               .base_file_url(f"{settings.api_base_url}/file/bot")
               .rate_limiter(AIORateLimiter(max_retries=3))
               .defaults(Defaults(parse_mode=ParseMode.HTML,
                                  link_preview_options=LinkPreviewOptions(is_disabled=True)))
               .read_timeout(settings.request_timeout).write_timeout(settings.request_timeout)
               .connect_timeout(settings.request_timeout)
               .get_updates_read_timeout(settings.request_timeout + 5)
               .concurrent_updates(8)
               .post_init(_post_init))
    app = builder.build()
    app.bot_data.fill(svc, settings)
    add_handlers(app)
    schedule_sync(app, settings)
    report.install(app, settings)  # the question log and its daily retention job
    bot_alerts.install(app, svc, settings)  # new articles → push queue → delivery job
    return app


def add_handlers(app: App) -> None:
    fresh = filters.UpdateType.MESSAGE  # edited messages and channel posts never run commands
    app.add_handler(CommandHandler("start", admin.on_start, filters=fresh))
    app.add_handler(CommandHandler("help", admin.on_help, filters=fresh))
    app.add_handler(CommandHandler("stats", admin.on_stats, filters=fresh))
    app.add_handler(CommandHandler("baocao", report.on_baocao, filters=fresh))
    app.add_handler(CommandHandler("reindex", admin.on_reindex, filters=fresh))
    app.add_handler(CommandHandler("sources", sources.on_sources, filters=fresh))
    app.add_handler(CommandHandler("topic", topic.on_topic, filters=fresh))
    app.add_handler(CommandHandler("hoi", ask.on_hoi, filters=fresh))
    app.add_handler(CommandHandler("moi", news.on_moi, filters=fresh))
    app.add_handler(CommandHandler("theodoi", alerts.on_follow, filters=fresh))
    app.add_handler(CommandHandler("huytheodoi", alerts.on_unfollow, filters=fresh))
    app.add_handler(CommandHandler("dangtheodoi", alerts.on_following, filters=fresh))
    app.add_handler(InlineQueryHandler(inline.on_inline))
    app.add_handler(MessageHandler(fresh & filters.TEXT & ~filters.COMMAND, ask.on_text))
    app.add_handler(CallbackQueryHandler(ask.on_more, pattern=More))
    app.add_handler(CallbackQueryHandler(ask.on_vote, pattern=Vote))
    app.add_handler(CallbackQueryHandler(topic.on_topic_page, pattern=TopicPage))
    app.add_handler(CallbackQueryHandler(admin.on_example, pattern=Ask))
    app.add_handler(CallbackQueryHandler(news.on_news_page, pattern=NewsPage))
    app.add_handler(CallbackQueryHandler(alerts.on_unsub_button, pattern=Unsubscribe))
    app.add_handler(CallbackQueryHandler(on_expired, pattern=InvalidCallbackData))
    app.add_error_handler(on_error)


def run(settings: BotSettings, svc: IndexService) -> None:
    if settings.admin_problem:
        log.warning(settings.admin_problem)
    app = build_application(settings, svc)
    if settings.webhook_url:
        # Telegram echoes the secret in a header; PTB answers 403 to requests without it.
        secret = settings.webhook_secret or secrets.token_urlsafe(32)
        redact_also(secret)  # PTB logs setWebhook's parameters at DEBUG
        log.info("starting webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                        url_path="telegram", webhook_url=settings.webhook_url,
                        secret_token=secret, allowed_updates=Update.ALL_TYPES)
    else:
        log.info("starting long polling against %s", settings.api_base_url)
        app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
