"""Polite HTTP: one request at a time per host with a delay, retries with backoff for
5xx, Retry-After for 429/503, manual redirects, size and content-type limits.

Every refusal is a `FetchError` whose message is the reason a caller records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urljoin

import httpx

from .canonical import host_of
from .settings import Clock, FetchSettings

Kind = Literal["page", "feed", "robots"]
_REDIRECTS = {301, 302, 303, 307, 308}
_FINAL = {304, 404, 410}  # answers callers act on: unchanged, gone
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class FetchError(Exception):
    """A URL given up for this run; str(exc) is the reason, `status` the HTTP status if any."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Throttle:
    """Serialises requests per host and spaces them by the delay (or the host's Crawl-delay)."""

    def __init__(self, clock: Clock, delay: float) -> None:
        self._clock, self._delay = clock, delay
        self._last: dict[str, float] = {}
        self._host_delay: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        self._host_delay[host] = max(self._delay, seconds)

    def delay(self, host: str) -> float:
        return self._host_delay.get(host, self._delay)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            # From the end of the last request, with the delay as it is now (robots.txt may have raised it).
            wait = self._last.get(host, float("-inf")) + self.delay(host) - self._clock.now()
            if wait > 0:
                self._clock.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = self._clock.now()


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP-date; None if unusable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


class HttpClient:
    def __init__(self, settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.throttle = Throttle(settings.clock, settings.delay)
        self._client = httpx.Client(headers={"User-Agent": settings.user_agent}, timeout=settings.timeout,
                                    follow_redirects=False, transport=transport)

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, check: Callable[[str], str | None], headers: dict[str, str] | None = None,
            kind: Kind = "page") -> Response:
        """GET following at most `max_redirects` redirects; `check` vets every hop (host, robots)."""
        seen: set[str] = set()
        current = url
        for hop in range(self.settings.max_redirects + 1):
            if current in seen:
                raise FetchError(f"redirect loop at {current}")
            seen.add(current)
            reason = check(current)
            if reason:
                raise FetchError(f"redirect to {current}: {reason}" if hop else reason)
            resp = self._send(current, headers or {}, kind)
            location = resp.headers.get("location")
            if resp.status not in _REDIRECTS or not location:
                return resp
            current = urljoin(current, location).split("#")[0]
        raise FetchError(f"more than {self.settings.max_redirects} redirects")

    def _send(self, url: str, headers: dict[str, str], kind: Kind) -> Response:
        """One URL with retries: 5xx and network errors back off, 429/503 obey Retry-After."""
        s = self.settings
        error = ""
        for attempt in range(s.retries + 1):
            wait = s.backoff * 2 ** attempt
            try:
                resp = self._once(url, headers, kind)
            except httpx.TimeoutException:
                error = f"timeout after {s.timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"network error: {type(exc).__name__}"
            else:
                if resp.status < 500 and resp.status != 429:
                    return self._final(resp)
                error = f"HTTP {resp.status}"
                after = retry_after_seconds(resp.headers.get("retry-after"), s.clock.now())
                if resp.status in (429, 503) and after is not None:
                    if after > s.retry_after_cap:
                        raise FetchError(f"HTTP {resp.status}: Retry-After {after:.0f} s is over the "
                                         f"{s.retry_after_cap:.0f} s cap; given up for this run", resp.status)
                    wait = after
            if attempt < s.retries:
                s.clock.sleep(wait)
        raise FetchError(f"{error} (after {s.retries + 1} attempts)")

    def _final(self, resp: Response) -> Response:
        if 200 <= resp.status < 300 or resp.status in _FINAL or resp.status in _REDIRECTS:
            return resp
        raise FetchError(f"HTTP {resp.status}", resp.status)

    def _once(self, url: str, headers: dict[str, str], kind: Kind) -> Response:
        with self.throttle.slot(host_of(url)):
            request = self._client.build_request("GET", url, headers=headers)
            raw = self._client.send(request, stream=True)
            try:
                if not 200 <= raw.status_code < 300:
                    return Response(url, raw.status_code, raw.headers)  # body not needed: left unread
                self._check_type(raw, kind)
                return Response(url, raw.status_code, raw.headers, self._read_capped(raw))
            finally:
                raw.close()

    def _check_type(self, raw: httpx.Response, kind: Kind) -> None:
        ctype = raw.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "page" and ctype and ctype not in _HTML_TYPES:
            raise FetchError(f"not HTML: {ctype}")

    def _read_capped(self, raw: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        length = raw.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise FetchError(f"too large: Content-Length {length} > {cap} bytes (not read)")
        chunks: list[bytes] = []
        total = 0
        for chunk in raw.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise FetchError(f"too large: over {cap} bytes (stopped reading)")
            chunks.append(chunk)
        return b"".join(chunks)
