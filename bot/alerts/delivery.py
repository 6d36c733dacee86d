"""Sending queued pushes: Telegram's limits, an hourly budget per chat, and exactly-once
as far as Telegram allows it.

Why each push is delivered once. A row moves queued → sending → sent, each step its
own committed transaction, and the worker sends one message at a time:
- a crash before "sending" is committed leaves the row queued: it is sent after the
  restart, once (nothing had gone out);
- a crash after "sent" is committed: nothing to do;
- a crash while the row is "sending" (the HTTP request in flight, or answered but
  not yet marked) is the one case nobody can decide: Telegram has no idempotency
  key, so the message may or may not have arrived. Such a row becomes "unknown"
  at the next start and is NOT sent again — a duplicate is what a reader would see,
  and `reply()` makes the same choice for timeouts. So delivery is exactly once
  except for at most one in-flight push per crash, which may be lost (at-most-once
  for that one, logged with its chat and article). A timeout is treated the same way.
Answers that say Telegram did not take the message (429, 403, 400, 5xx) are
definite, so those rows go back to "queued" or are closed for a reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import render
from bot.alerts.store import Push, Store

log = logging.getLogger(__name__)

HOUR = 3600.0
PER_HOUR = 10  # single pushes per chat per hour; the rest are folded into one digest
DIGEST_MAX = 50  # rows one digest may close
MAX_WAIT = 5.0  # longer waits are left to the next periodic run instead of holding the worker
Sender = Callable[[int, str], Awaitable[None]]


class Throttle:
    """Telegram's broadcast limits: `per_second` messages overall, and
    `group_per_minute` into any one group (groups have negative chat ids)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, per_second: int = 20,
                 group_per_minute: int = 20) -> None:
        # 20/s, not Telegram's 30: the rest of the budget is the readers' answers'.
        self.clock = clock
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self._all: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}

    def wait(self, chat_id: int) -> float:
        """Seconds until a message to `chat_id` is allowed (0: now)."""
        now = self.clock()
        waits = [self._window(self._all, self.per_second, 1.0, now)]
        if chat_id < 0:
            waits.append(self._window(self._groups.setdefault(chat_id, deque()), self.group_per_minute, 60.0, now))
        return max(waits)

    def record(self, chat_id: int) -> None:
        now = self.clock()
        self._all.append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)

    @staticmethod
    def _window(times: deque[float], limit: int, period: float, now: float) -> float:
        while times and times[0] <= now - period:
            times.popleft()
        return 0.0 if len(times) < limit else times[0] + period - now


def seconds(retry_after: timedelta | float) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


class Worker:
    """Drains the outbox. `drain()` is the whole job: the app calls it periodically and
    when new rows arrive; tests call it directly with their own clock, sleep and sender."""

    def __init__(self, store: Store, send: Sender, *, clock: Callable[[], float] = time.time,
                 throttle: Throttle | None = None, sleep: Callable[[float], Awaitable[None]] | None = None,
                 running: Callable[[], bool] = lambda: True, per_hour: int = PER_HOUR) -> None:
        self.store = store
        self.send = send
        self.clock = clock
        self.throttle = throttle or Throttle()
        self.running = running
        self.per_hour = per_hour
        self._sleep = sleep or self._interruptible_sleep
        self._lock = asyncio.Lock()
        self._again = False
        self._recovered = False

    async def drain(self) -> int:
        """Send everything that may be sent now; returns how many messages went out.
        A drain already running is asked to look again instead of starting a second one."""
        if self._lock.locked():
            self._again = True
            return 0
        async with self._lock:
            if not self._recovered:
                for p in await asyncio.to_thread(self.store.recover):
                    log.warning("push of %s to chat %s was in flight at a crash: not sent again", p.article, p.chat_id)
                self._recovered = True
            sent = 0
            while self.running():
                self._again = False
                rows = await asyncio.to_thread(self.store.pending)
                batch, digest, wait = await asyncio.to_thread(self._choose, rows)
                if batch:
                    sent += await self._deliver(batch, digest)
                elif wait is not None and wait <= MAX_WAIT:
                    await self._sleep(wait)
                elif not self._again:
                    break
            return sent

    def _choose(self, rows: list[Push]) -> tuple[list[Push], bool, float | None]:
        """The next message: the oldest queued row of the first chat that may receive one now
        (rows of one chat keep their order), or a digest of that chat's rows when its hourly
        budget is spent; else ([], False, seconds until something may go)."""
        now = self.clock()
        waits: list[float] = []
        seen: set[int] = set()
        for row in rows:
            if row.chat_id in seen:
                continue
            seen.add(row.chat_id)
            wait = self.throttle.wait(row.chat_id)
            if wait > 0:
                waits.append(wait)
                continue
            singles, oldest, last_digest = self.store.sent_since(row.chat_id, now - HOUR)
            if singles < self.per_hour:
                return [row], False, None
            if last_digest is None:
                return [r for r in rows if r.chat_id == row.chat_id][:DIGEST_MAX], True, None
            waits.append(min(last_digest, oldest or last_digest) + HOUR - now)
        return [], False, min(waits) if waits else None

    async def _deliver(self, batch: list[Push], digest: bool) -> int:
        ids, chat = [p.id for p in batch], batch[0].chat_id
        text = render.digest_message([p.line for p in batch]) if digest else batch[0].html
        await asyncio.to_thread(self.store.mark, ids, "sending")
        self.throttle.record(chat)
        try:
            await self.send(chat, text)
        except RetryAfter as exc:  # not delivered; everyone waits, then this row goes first again
            await asyncio.to_thread(self.store.mark, ids, "queued")
            log.warning("push flood limit: waiting %s s", seconds(exc.retry_after))
            await self._sleep(seconds(exc.retry_after))
            return 0
        except Forbidden as exc:
            n = await asyncio.to_thread(self.store.forget_chat, chat)
            log.warning("chat %s blocked the bot (%s): %d subscription(s) removed", chat, exc, n)
            return 0
        except TimedOut:
            await asyncio.to_thread(self.store.mark, ids, "unknown")
            log.warning("push of %s to chat %s timed out: not sent again (it may have arrived)",
                        batch[0].article, chat)
            return 0
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                await asyncio.to_thread(self.store.forget_chat, chat)
            else:
                await asyncio.to_thread(self.store.mark, ids, "failed")
            log.warning("push to chat %s refused: %s", chat, exc)
            return 0
        except NetworkError as exc:  # 5xx or a dropped connection: Telegram did not take it
            await asyncio.to_thread(self.store.mark, ids, "queued", failed_attempt=True)
            log.warning("push to chat %s failed (%s); will retry", chat, exc)
            await self._sleep(1.0)
            return 0
        except TelegramError as exc:
            await asyncio.to_thread(self.store.mark, ids, "failed")
            log.warning("push to chat %s refused: %s", chat, exc)
            return 0
        await asyncio.to_thread(self.store.mark, ids, "sent", digest=digest)
        return 1

    async def _interruptible_sleep(self, secs: float) -> None:
        """Sleep in short slices so that stopping the app never waits out a long retry_after."""
        end = time.monotonic() + secs
        while self.running() and (left := end - time.monotonic()) > 0:  # noqa: ASYNC110 - no event to await
            await asyncio.sleep(min(left, 0.25))
