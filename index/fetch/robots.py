"""robots.txt: fetched once per host and run, obeyed before any other request to it.

RFC 9309: a missing robots.txt (4xx) allows everything; an unreachable one (5xx, network)
disallows the whole host for this run. Crawl-delay raises the host's delay.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from .canonical import host_of
from .http import FetchError, HttpClient

log = logging.getLogger(__name__)


class Robots:
    def __init__(self, client: HttpClient, user_agent: str) -> None:
        self._client = client
        self._agent = user_agent
        self._rules: dict[str, RobotFileParser | str] = {}  # origin → rules, or why all is disallowed

    def check(self, url: str) -> str | None:
        """None if `url` may be fetched, else the reason ("robots.txt")."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = self._rules.get(origin)
        if rules is None:
            rules = self._rules[origin] = self._load(origin)
        if isinstance(rules, str):
            return rules
        return None if rules.can_fetch(self._agent, url) else "robots.txt"

    def _load(self, origin: str) -> RobotFileParser | str:
        host = host_of(origin)
        parser = RobotFileParser(f"{origin}/robots.txt")
        try:
            resp = self._client.get(f"{origin}/robots.txt", kind="robots",
                                    check=lambda u: None if host_of(u) == host else "robots.txt redirects off host")
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                parser.parse([])
                return parser
            log.warning("robots.txt of %s unreachable: %s", origin, exc)
            return f"robots.txt unreachable ({exc}): host skipped for this run"
        lines = resp.body.decode("utf-8", "replace").splitlines() if resp.status == 200 else []
        parser.parse(lines)
        delay = parser.crawl_delay(self._agent)
        if delay is not None:
            self._client.throttle.set_crawl_delay(host, float(delay))
        return parser
