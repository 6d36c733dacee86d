"""Fetcher settings from the environment, and the clock every wait goes through."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

DEFAULT_USER_AGENT = "HoiBaoBot/0.1 (+https://example.org/hoibao; contact: hoibao@example.org)"
MAX_BODY_BYTES = 5 * 1024 * 1024


class Clock(Protocol):
    """Wall time and waiting, injectable so tests record sleeps instead of taking them."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class FetchSettings:
    delay: float = 1.0  # seconds between two requests to one host (robots.txt Crawl-delay may raise it)
    user_agent: str = DEFAULT_USER_AGENT
    hosts: tuple[str, ...] = ()  # article hosts allowed besides each source's own
    timeout: float = 20.0
    recent_days: float = 3.0  # articles this young are re-checked on every sync
    recheck_days: float = 7.0  # older ones this often
    recheck_batch: int = 200  # at most this many routine (not triggered) re-checks per sync
    max_bytes: int = MAX_BODY_BYTES
    max_redirects: int = 5
    retries: int = 2  # extra attempts after a 5xx or a network error
    backoff: float = 2.0  # first retry waits this long, then doubles
    retry_after_cap: float = 300.0  # a longer Retry-After gives the URL up for this run
    source_backoff: float = 300.0  # a failing source waits this, doubling per failure ...
    source_backoff_max: float = 86_400.0  # ... up to a day
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> FetchSettings:
        env = os.environ if env is None else env
        hosts = tuple(h.lower() for h in re.split(r"[\s,]+", env.get("FETCH_HOSTS", "")) if h)
        return cls(delay=_float(env, "FETCH_DELAY", 1.0),
                   user_agent=env.get("FETCH_USER_AGENT", "").strip() or DEFAULT_USER_AGENT,
                   hosts=hosts,
                   timeout=_float(env, "FETCH_TIMEOUT", 20.0) or 20.0,
                   recent_days=_float(env, "FETCH_RECENT_DAYS", 3.0),
                   recheck_days=_float(env, "FETCH_RECHECK_DAYS", 7.0),
                   clock=clock or SystemClock())
