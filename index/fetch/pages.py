"""One article URL: fetch (conditional when stored), then new / updated / unchanged /
removed (404, 410: a takedown) or skipped with its reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .dates import to_epoch
from .extract import ExtractError, extract_article
from .http import FetchError, HttpClient, Response
from .state import ArticleRow, State
from .summary import FetchSummary, SourceResult
from .writer import delete_record, record_hash, write_record

log = logging.getLogger(__name__)

MAX_FAILURES = 3  # a link that failed this often is no longer requested


@dataclass(frozen=True, slots=True)
class Job:
    url: str
    source: str
    why: str  # new, lastmod, vanished, recent, routine
    lastmod: str | None = None
    published: str | None = None  # what the feed said, used when the page says nothing


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class PageFetcher:
    def __init__(self, articles_dir: Path, state: State, client: HttpClient, summary: FetchSummary,
                 check: Callable[[str, str], str | None], now: Callable[[], float]) -> None:
        self._dir, self._state, self._client, self._summary = articles_dir, state, client, summary
        self._check, self._now = check, now

    def _result(self, source: str) -> SourceResult:
        return self._summary.per_source.setdefault(source, SourceResult())

    def _stored(self, row: ArticleRow | None) -> bool:
        return bool(row and row.path and row.gone_at is None and (self._dir / row.path).exists())

    def fetch(self, job: Job) -> None:
        row = self._state.article(job.url)
        headers = conditional_headers(row.etag, row.last_modified) if row and self._stored(row) else {}
        try:
            resp = self._client.get(job.url, check=lambda u: self._check(job.source, u), headers=headers)
        except FetchError as exc:
            self._fail(job, row, str(exc))
            return
        if resp.status == 304 and row is not None:
            self._unchanged(job, row, resp)
        elif resp.status in (404, 410):
            if row is not None and self._stored(row):
                self._takedown(job, row, resp.status)
            else:
                self._fail(job, row, f"HTTP {resp.status}")
        elif 200 <= resp.status < 300:
            self._store(job, row, resp)
        else:
            self._fail(job, row, f"HTTP {resp.status}")

    def _fail(self, job: Job, row: ArticleRow | None, reason: str) -> None:
        log.info("skipped %s: %s", job.url, reason)
        self._summary.skip(job.url, reason)
        if row is None:
            self._state.save_article(job.url, job.source, self._now(), last_check=self._now())
        self._state.fail_article(row.url if row else job.url, reason)

    def _unchanged(self, job: Job, row: ArticleRow, resp: Response) -> None:
        self._summary.unchanged += 1
        self._result(job.source).unchanged += 1
        self._state.save_article(row.url, row.source, self._now(), last_check=self._now(), failures=0,
                                 etag=resp.headers.get("etag") or row.etag,
                                 last_modified=resp.headers.get("last-modified") or row.last_modified)

    def _takedown(self, job: Job, row: ArticleRow, status: int) -> None:
        log.info("takedown %s (HTTP %d)", row.url, status)
        delete_record(self._dir, str(row.path))
        self._state.save_article(row.url, row.source, self._now(), path=None, gone_at=self._now(),
                                 last_check=self._now(), last_error=f"HTTP {status}")
        self._summary.removed += 1
        self._result(job.source).removed += 1

    def _store(self, job: Job, row: ArticleRow | None, resp: Response) -> None:
        allowed = lambda u: self._check(job.source, u) is None  # noqa: E731 - a canonical must be fetchable
        try:
            page = extract_article(resp.body, resp.headers.get("content-type", ""), resp.url, allowed)
        except ExtractError as exc:
            self._fail(job, row, str(exc))
            return
        except Exception as exc:  # one strange page must not stop the run; the log keeps the trace
            log.exception("extraction failed on %s", resp.url)
            self._fail(job, row, f"extraction failed: {type(exc).__name__}")
            return
        # One article, one key: a stored row keeps its URL; a new link whose page names a known
        # canonical URL is that article, re-checked.
        existing = row or self._state.article(page.url)
        key = existing.url if existing else page.url
        for alias in {job.url, resp.url, page.url} - {key}:
            self._state.add_alias(alias, key)
        record = {**page.record, "url": key}
        record["published"] = record["published"] or job.published
        digest = record_hash(record)
        now = self._now()
        if existing is not None and self._stored(existing) and existing.content_hash == digest:
            outcome = "unchanged"
            path = existing.path
        else:
            outcome = "updated" if existing is not None and self._stored(existing) else "new"
            path = str(write_record(self._dir, record))
        published = record["published"] if isinstance(record["published"], str) else None
        self._state.save_article(key, existing.source if existing else job.source, now, path=path,
                                 content_hash=digest, etag=resp.headers.get("etag"),
                                 last_modified=resp.headers.get("last-modified"), last_fetch=now, last_check=now,
                                 published=published, published_ts=to_epoch(published), lastmod=job.lastmod,
                                 failures=0, last_error=None, gone_at=None)
        log.info("%s %s", outcome, key)
        setattr(self._summary, outcome, getattr(self._summary, outcome) + 1)
        result = self._result(job.source)
        setattr(result, outcome, getattr(result, outcome) + 1)
