"""Sync = fetch the paper's sources into the articles folder, then bring the index up to
date incrementally (`update.py`). One call for the CLI and the bot's timed job."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .build import BuildSummary, Progress
from .fetch import FetchSettings, FetchSummary, fetch_sources
from .update import update
from .vectors import Encoder


def _noop(phase: str, done: int, total: int) -> None:
    return None


@dataclass(slots=True)
class SyncResult:
    fetch: FetchSummary
    index: BuildSummary  # mode "unchanged" when there was nothing to index
    indexed_seconds: float

    @property
    def generation(self) -> str:
        return self.index.generation

    def to_json(self) -> dict[str, object]:
        out = self.fetch.to_json()
        out.update(generation=self.generation, indexed_seconds=round(self.indexed_seconds, 3),
                   index=self.index.to_json())
        return out


def sync(sources: Sequence[str], articles_dir: Path, index_dir: Path, model: str | None,
         settings: FetchSettings | None = None, max_articles: int | None = None, embedder: Encoder | None = None,
         trusted: frozenset[str] = frozenset(), progress: Progress = _noop) -> SyncResult:
    """Fetch, then update the index. The update runs even when this fetch changed nothing:
    comparing the folder with the index costs a directory scan, and it picks up files that
    a run killed between fetching and indexing left behind (or an admin dropped in)."""
    fetched = fetch_sources(list(sources), articles_dir, settings, max_articles,
                            lambda done, total: progress("fetch", done, total))
    t = time.perf_counter()
    summary = update([articles_dir], index_dir, model, progress, embedder, trusted)
    return SyncResult(fetched, summary, time.perf_counter() - t)
