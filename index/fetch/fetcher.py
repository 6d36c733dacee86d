"""One fetch run: read every source (conditional GET), queue what needs fetching (new links,
sitemap lastmod newer than our copy, links that vanished from a listing, recent articles,
the weekly round), fetch them politely, and record it all in the state database."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .canonical import canonical_url, host_of, not_article_reason
from .dates import to_epoch
from .discover import DiscoveryError, Entry, parse_listing
from .http import FetchError, HttpClient
from .pages import MAX_FAILURES, Job, PageFetcher, conditional_headers
from .robots import Robots
from .settings import FetchSettings
from .state import STATE_FILE, SourceStatus, State
from .summary import FetchSummary, SourceResult

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


class _Run:
    def __init__(self, sources: list[str], articles_dir: Path, settings: FetchSettings) -> None:
        self.sources, self.dir, self.settings = sources, articles_dir, settings
        self.clock = settings.clock
        self.summary = FetchSummary(sources=list(sources))
        self.state = State(articles_dir / STATE_FILE)
        self.client = HttpClient(settings)
        self.robots = Robots(self.client, settings.user_agent)
        self.pages = PageFetcher(articles_dir, self.state, self.client, self.summary, self.check, self.clock.now)
        self.jobs: dict[str, Job] = {}
        self.seen: set[str] = set()

    def close(self) -> None:
        self.client.close()
        self.state.close()

    def check(self, source: str, url: str) -> str | None:
        """Why `url` may not be requested for `source`: its host, then robots.txt."""
        host = host_of(url)
        if host != host_of(source) and host not in self.settings.hosts:
            return f"host not allowed: {host}"
        return self.robots.check(url)

    def execute(self, max_articles: int | None, progress: Progress | None) -> FetchSummary:
        for source in self.sources:
            self.read_source(source)
        now = self.clock.now()
        for url in self.state.due_rechecks(self.sources, now, self.settings.recent_days,
                                           self.settings.recheck_days, self.settings.recheck_batch):
            row = self.state.article(url)
            self.jobs.setdefault(url, Job(url, row.source if row else self.sources[0], "recheck"))
        order = {"new": 0, "lastmod": 1, "vanished": 1, "recheck": 2}
        jobs = sorted(self.jobs.values(), key=lambda j: order.get(j.why, 3))  # stable: listing order kept
        if max_articles is not None:
            jobs = jobs[:max(0, max_articles)]
        self.summary.seen = len(self.seen)
        if progress:
            progress(0, len(jobs))
        for done, job in enumerate(jobs, 1):
            self.pages.fetch(job)
            if progress:
                progress(done, len(jobs))
        self.save_sources()
        return self.summary

    def read_source(self, source: str) -> None:
        result = self.summary.per_source.setdefault(source, SourceResult())
        status = self.state.source(source)
        now = self.clock.now()
        if status and status.next_retry and status.next_retry > now:
            result.error = f"backing off after {status.failures} failures: next try at {_iso(status.next_retry)}"
            self.summary.skip(source, result.error)
            return
        if canonical_url(source) is None:
            result.error = "not an http(s) URL"
        else:
            try:
                self.read_document(source, source, None, top=True)
            except (FetchError, DiscoveryError) as exc:
                result.error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
        if result.error:
            log.warning("source %s failed: %s", source, result.error)
            self.summary.skip(source, result.error)

    def read_document(self, url: str, source: str, lastmod: str | None, top: bool = False) -> None:
        """A feed or sitemap (or an index of sitemaps): queue what it lists."""
        etag, last_modified, last_fetch, _ = self.state.document(url)
        listed_at = to_epoch(lastmod)
        if not top and listed_at is not None and last_fetch is not None and last_fetch >= listed_at:
            return  # the sitemap index says this child has not changed since we read it
        resp = self.client.get(url, check=lambda u: self.check(source, u),
                               headers=conditional_headers(etag, last_modified), kind="feed")
        if resp.status == 304:
            self.state.save_document(url, self.clock.now(), etag, last_modified)
            if self.state.document_kind(url) == "sitemapindex":
                self.reread_children(url, source)
            else:  # unchanged listing: links not fetched yet (--max, a failure) are still due
                for listed in sorted(self.state.listed(url)):
                    self.seen.add(listed)
                    self.queue_listed(listed, source, Entry(listed))
            return
        if not 200 <= resp.status < 300:
            raise FetchError(f"HTTP {resp.status}", resp.status)
        listing = parse_listing(resp.body, resp.url)
        if listing.kind == "sitemapindex":
            if not top:
                raise DiscoveryError("a sitemap index inside a sitemap index")
            self.read_children(url, source, listing.entries)
        else:
            self.take(url, source, listing.entries)
        self.state.save_document(url, self.clock.now(), resp.headers.get("etag"), resp.headers.get("last-modified"),
                                 listing.kind)

    def read_children(self, index: str, source: str, children: list[Entry]) -> None:
        urls = [c.url for c in children]
        self.state.replace_listing(index, source, urls, self.clock.now())
        for child in children:
            self.state.save_lastmod(child.url, child.lastmod)
            self.read_child(child.url, source, child.lastmod)

    def reread_children(self, index: str, source: str) -> None:
        """An unchanged index still has children to check (conditionally)."""
        for url in sorted(self.state.listed(index)):
            self.read_child(url, source, self.state.document(url)[3])

    def read_child(self, url: str, source: str, lastmod: str | None) -> None:
        if host_of(url) != host_of(source) and host_of(url) not in self.settings.hosts:
            self.summary.skip(url, f"sitemap on a host not allowed: {host_of(url)}")
            return
        try:
            self.read_document(url, source, lastmod)
        except (FetchError, DiscoveryError) as exc:
            self.summary.skip(url, f"sitemap: {exc}")

    def take(self, document: str, source: str, entries: list[Entry]) -> None:
        """Queue the articles a listing names; re-check those that vanished from it."""
        urls: list[str] = []
        for entry in entries:
            url = canonical_url(entry.url)
            reason = "not an http(s) URL" if url is None else self.link_reason(source, url)
            if url is None or reason:
                self.summary.skip(url or entry.url, reason or "")
                continue
            urls.append(url)
            self.seen.add(url)
            self.queue_listed(url, source, entry)
        for url in sorted(self.state.listed(document) - set(urls)):
            row = self.state.article(url)
            if row is not None and row.path and row.gone_at is None:
                self.jobs.setdefault(row.url, Job(row.url, source, "vanished"))
        self.state.replace_listing(document, source, urls, self.clock.now())

    def link_reason(self, source: str, url: str) -> str | None:
        host = host_of(url)
        if host != host_of(source) and host not in self.settings.hosts:
            return f"host not allowed: {host}"
        return not_article_reason(url)

    def queue_listed(self, url: str, source: str, entry: Entry) -> None:
        row = self.state.article(url)
        if row is None:
            self.jobs.setdefault(url, Job(url, source, "new", entry.lastmod, entry.published))
        elif row.path is None and row.gone_at is None:
            if row.failures < MAX_FAILURES:
                self.jobs.setdefault(row.url, Job(row.url, source, "new", entry.lastmod, entry.published))
            else:
                self.summary.skip(url, f"failed {row.failures} times, not requested again")
        elif (listed := to_epoch(entry.lastmod)) is not None and listed > (row.last_fetch or 0):
            self.jobs.setdefault(row.url, Job(row.url, source, "lastmod", entry.lastmod, entry.published))

    def save_sources(self) -> None:
        now = self.clock.now()
        for url, result in self.summary.per_source.items():
            if url not in self.sources:
                continue
            old = self.state.source(url)
            if result.error is None:
                self.state.save_source(SourceStatus(url, now, result.new, result.updated, result.removed,
                                                    None, 0, None))
            elif old is None or not old.next_retry or old.next_retry <= now:  # a real failure, not a wait
                old = old or SourceStatus(url, None, 0, 0, 0, None, 0, None)
                failures = old.failures + 1
                wait = min(self.settings.source_backoff * 2 ** (failures - 1), self.settings.source_backoff_max)
                self.state.save_source(SourceStatus(url, old.last_sync, old.new, old.updated, old.removed,
                                                    result.error, failures, now + wait))


def fetch_sources(sources: list[str], articles_dir: Path, settings: FetchSettings | None = None,
                  max_articles: int | None = None, progress: Progress | None = None) -> FetchSummary:
    """Fetch what the sources list into `articles_dir`. Never raises for a bad source or page
    (each is recorded in the summary); raises OSError when the folder cannot be written."""
    started = time.monotonic()
    articles_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(list(dict.fromkeys(sources)), articles_dir, settings or FetchSettings.from_env())
    try:
        summary = run.execute(max_articles, progress)
    finally:
        run.close()
    summary.seconds = time.monotonic() - started
    return summary


def source_status(articles_dir: Path) -> list[SourceStatus]:
    """Each source's last sync, counts, last error and next retry (for /sources)."""
    if not (articles_dir / STATE_FILE).exists():
        return []
    state = State(articles_dir / STATE_FILE)
    try:
        return state.sources()
    finally:
        state.close()
