"""Bot settings from the environment / `.env` (documented line by line in .env.example)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from index.settings import IndexSettings

TELEGRAM_API = "https://api.telegram.org"
# Never admins, whatever the settings say: the anonymous group admin bot and
# Telegram's service account (channel posts forwarded into linked groups).
NEVER_ADMINS = frozenset({1087968824, 777000})


def parse_admin_ids(raw: str | None) -> frozenset[int]:
    """Comma-separated numeric user ids. Anything malformed disables admin commands:
    a typo must never turn into "everyone is admin"."""
    return _admin_ids(raw)[0]


def _admin_ids(raw: str | None) -> tuple[frozenset[int], str | None]:
    """(ids, why admin commands are off, if they are)."""
    raw = (raw or "").strip()
    if not raw:
        return frozenset(), "ADMIN_USER_IDS is empty: admin commands (/reindex, /stats) are disabled"
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(re.fullmatch(r"\d{1,20}", p) for p in parts):
        return frozenset(), ("ADMIN_USER_IDS must be comma-separated numeric user ids (not usernames): "
                             "admin commands are disabled")
    ids = frozenset(int(p) for p in parts) - NEVER_ADMINS
    return ids, None if ids else "ADMIN_USER_IDS names no usable user id: admin commands are disabled"


@dataclass(frozen=True, slots=True)
class BotSettings:
    token: str | None
    admin_ids: frozenset[int]
    index: IndexSettings
    api_base_url: str = TELEGRAM_API
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook must accept Telegram's connections
    webhook_port: int = 8443
    feedback_file: Path = Path("var/feedback.jsonl")
    log_level: str = "INFO"
    request_timeout: float = 10.0  # seconds for one Bot API call (long polling adds its own)
    admin_problem: str | None = None  # why admin commands are disabled, logged at start
    alerts_db: Path = Path("var/alerts.sqlite3")  # subscriptions and the push queue
    inline_delay: float = 0.6  # seconds an inline query waits for the reader to stop typing
    inline_cache_time: int = 300  # seconds Telegram may serve an inline answer from its cache
    sources: tuple[str, ...] = ()  # feeds/sitemaps the bot follows by itself (SOURCES)
    sync_minutes: float = 15.0  # between two syncs; 0 turns the timed sync off
    question_log_file: Path | None = Path("var/questions.sqlite3")  # None: QUESTION_LOG=off
    question_log_days: int = 90
    question_log_secret: str | None = None  # None: generated once next to the log file

    @classmethod
    def from_env(cls) -> BotSettings:
        env = os.environ
        admins, problem = _admin_ids(env.get("ADMIN_USER_IDS"))
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            admin_ids=admins,
            admin_problem=problem,
            index=IndexSettings.from_env(),
            api_base_url=env.get("TELEGRAM_API_BASE_URL", TELEGRAM_API).strip().rstrip("/") or TELEGRAM_API,
            webhook_url=env.get("WEBHOOK_URL", "").strip() or None,
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip() or None,
            webhook_listen=env.get("WEBHOOK_LISTEN", "0.0.0.0"),  # noqa: S104
            webhook_port=int(env.get("WEBHOOK_PORT", "8443")),
            feedback_file=Path(env.get("FEEDBACK_FILE", "var/feedback.jsonl")),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            request_timeout=float(env.get("TELEGRAM_REQUEST_TIMEOUT", "10")),
            alerts_db=Path(env.get("ALERTS_DB", "").strip() or "var/alerts.sqlite3"),
            inline_delay=float(env.get("INLINE_DELAY", "0.6")),
            inline_cache_time=int(env.get("INLINE_CACHE_TIME", "300")),
            sources=tuple(u for u in re.split(r"[\s,]+", env.get("SOURCES", "")) if u),
            sync_minutes=max(0.0, float(env.get("SYNC_MINUTES", "15") or 0)),
            question_log_file=_question_log_file(env),
            question_log_days=max(1, int(env.get("QUESTION_LOG_DAYS", "90"))),  # 0 would empty the log daily
            question_log_secret=env.get("QUESTION_LOG_SECRET", "").strip() or None,
        )


def _question_log_file(env: Mapping[str, str]) -> Path | None:
    """QUESTION_LOG=off turns the question log off; otherwise QUESTION_LOG_FILE names it."""
    if env.get("QUESTION_LOG", "on").strip().lower() in ("off", "0", "false", "no"):
        return None
    return Path(env.get("QUESTION_LOG_FILE", "").strip() or "var/questions.sqlite3")
