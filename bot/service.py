"""The live index behind the bot: answering, hot swap after a rebuild, stats.

Questions read `self.engine` once and use that object to the end, so a swap
between two questions never mixes generations and never fails one in flight.
"""

from __future__ import annotations

import logging
import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index import store
from index.answer import Answer, Engine
from index.articles import Article
from index.backends.embedded import EmbeddedBackend
from index.backends.serve import load_index, push_if_qdrant, served_generation
from index.build import BuildSummary, build
from index.fetch import FetchSettings
from index.generation import Generation, load
from index.rerank import Reranker, RerankerUnavailable, load_reranker
from index.settings import IndexSettings
from index.sync import SyncResult, sync
from index.vectors import Encoder, ModelError, load_embedder

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RebuildState:
    """What an admin sees while a rebuild runs (written by the build thread)."""

    running: bool = False
    phase: str = ""
    done: int = 0
    total: int = 0
    started: float = 0.0
    error: str | None = None
    summary: BuildSummary | None = None

    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


@dataclass(slots=True)
class Stats:
    questions: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2000))

    def record(self, ms: float) -> None:
        self.questions += 1
        self.latencies_ms.append(ms)

    def percentile(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        data = sorted(self.latencies_ms)
        if len(data) == 1:
            return data[0]
        return statistics.quantiles(data, n=100, method="inclusive")[int(p) - 1]


class IndexService:
    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        self.engine: Engine | None = None
        self.embedder: Encoder | None = None
        self.reranker: Reranker | None = None  # RERANKER_MODEL, loaded with the first generation
        self._reranker_tried = False
        self.error: str | None = None
        self.stats = Stats()
        self.rebuild = RebuildState()
        self._lock = threading.Lock()
        # Called (from the thread that swapped) with the articles a swap brought that the
        # previous generation did not have; never at the first load. Alerts listen here.
        self.on_new_articles: list[Callable[[list[Article]], None]] = []
        self.last_sync: SyncResult | None = None
        self.last_sync_error: str | None = None

    def load(self) -> None:
        """Load the live generation; on failure keep what was serving and remember why."""
        starting = self.engine is None
        if starting:
            removed = store.clean_if_idle(self.settings.index_dir)
            if removed:
                log.warning("removed leftovers of an interrupted build: %s", ", ".join(removed))
        try:
            gen, backend = load_index(self.settings, None, self.engine.gen if self.engine else None,
                                      self.engine.retriever.backend if self.engine else None)
        except store.IndexUnavailable as exc:
            self.error = str(exc)
            log.error("index unavailable: %s", exc)
            fallback = self._last_good() if starting else None
            if fallback is None:
                return
            gen, backend = fallback, EmbeddedBackend(fallback)
        else:
            self.error = None
        if gen.model and self.embedder is None:
            try:
                self.embedder = load_embedder(self.settings.embedding_model or gen.model)
            except ModelError as exc:
                log.error("%s — answering with BM25 only", exc)
        if not self._reranker_tried:
            self._reranker_tried = True
            try:
                self.reranker = load_reranker(os.environ.get("RERANKER_MODEL"))
            except RerankerUnavailable as exc:
                log.error("%s — choosing quotes without the cross-encoder", exc)
        previous = self.engine
        if self.embedder is not None and gen.model and self.embedder.name != gen.model:
            log.warning("index built with %s but EMBEDDING_MODEL is %s: dense search off until a rebuild",
                        gen.model, self.embedder.name)
            self.engine = Engine(gen, None, reranker=self.reranker, backend=backend)
        else:
            self.engine = Engine(gen, self.embedder, reranker=self.reranker, backend=backend)
        log.info("serving generation %s (%d articles, %d chunks) from the %s index", gen.name, len(gen.articles),
                 gen.n_chunks, backend.name)
        if previous is not None and previous.gen.name != gen.name:
            self._announce(previous.gen, gen)

    def _announce(self, old: Generation, new: Generation) -> None:
        """Tell listeners which articles the swap brought; a listener's failure is logged, not raised."""
        known = {a.id for a in old.live_articles}
        fresh = [a for a in new.live_articles if a.id not in known]
        if not fresh:
            return
        for listener in list(self.on_new_articles):
            try:
                listener(fresh)
            except Exception:
                log.exception("new-article listener failed")

    def _last_good(self) -> Generation | None:
        """At start-up with a damaged live generation: the newest older one that verifies.
        (While running, the generation already in memory keeps serving instead.) Not with
        Qdrant: its passage numbers are the collection's generation's, and only that one fits."""
        if self.settings.backend == "qdrant":
            return None
        try:
            live = store.current_name(self.settings.index_dir)
        except store.IndexUnavailable:
            live = None
        for name in store.generation_names(self.settings.index_dir):
            if name == live:
                continue
            try:
                gen = load(self.settings.index_dir, model=None, name=name)
            except store.IndexUnavailable as exc:
                log.warning("older generation %s not usable either: %s", name, exc)
                continue
            log.error("serving the older generation %s until a rebuild succeeds", name)
            return gen
        return None

    def answer(self, question: str, k: int = 3, offset: int = 0, record: bool = True) -> Answer | None:
        """`record`: count it in /stats (not a page of a question already counted)."""
        engine = self.engine  # one generation for the whole question
        if engine is None:
            return None
        t = time.perf_counter()
        ans = engine.answer(question, k=k, offset=offset)
        if record and offset == 0 and ans.is_question:
            self.stats.record((time.perf_counter() - t) * 1000)
        return ans

    def start_rebuild(self) -> bool:
        """Start a rebuild thread unless one is running; False when one already is."""
        if not self._claim("start"):
            return False
        threading.Thread(target=self._rebuild, name="reindex", daemon=True).start()
        return True

    def _claim(self, phase: str) -> bool:
        """Single flight: a rebuild and a sync never run at once (the second is skipped)."""
        with self._lock:
            if self.rebuild.running:
                return False
            self.rebuild = RebuildState(running=True, phase=phase, started=time.monotonic())
            return True

    def sync(self, sources: list[str], fetch_settings: FetchSettings | None = None) -> SyncResult | None:
        """Fetch the sources and update the index incrementally, then swap it in; None when a
        rebuild or another sync is running. Raises what failed; what serves stays as it was."""
        if not self._claim("sync"):
            log.info("sync skipped: a rebuild or sync is running")
            return None
        try:
            engine = self.engine
            live = store.current_path(self.settings.index_dir)
            # The generation serving was verified when loaded: the update need not re-read it.
            files = engine.gen.manifest["files"] if engine is not None and engine.gen.path == live else {}
            trusted = frozenset(map(str, files)) if isinstance(files, dict) else frozenset()
            result = sync(sources, self.settings.articles_dir, self.settings.index_dir, self._model(),
                          fetch_settings, embedder=self._embedder_for(self._model()), trusted=trusted)
            self._push()
            if engine is None or result.generation != engine.gen.name:
                self.load()
                if self.error:
                    raise store.IndexUnavailable(self.error)
            self.last_sync = result
            return result
        finally:
            self.rebuild.running = False

    def refresh(self) -> bool:
        """A replica that writes nothing (a cluster's bots): load again when the writer has
        published another generation, or pushed one into the Qdrant collection. True if it did."""
        live = served_generation(self.settings)
        engine = self.engine
        if live is None or (engine is not None and engine.gen.name == live) or self.rebuild.running:
            return False
        self.load()
        return self.error is None

    def _push(self) -> None:
        """With INDEX_BACKEND=qdrant, make the collection serve the generation just published
        (the bot is its only writer; with QDRANT_PATH it writes through its own open shard)."""
        done = push_if_qdrant(self.settings, self.engine.retriever.backend if self.engine else None)
        if done is not None:
            log.info("qdrant collection: %s", done)

    def _model(self) -> str | None:
        return self.settings.embedding_model if self.embedder is not None or self._wants_vectors() else None

    def _embedder_for(self, model: str | None) -> Encoder | None:
        return self.embedder if self.embedder is not None and self.embedder.name == model else None

    def _rebuild(self) -> None:
        state = self.rebuild

        def progress(phase: str, done: int, total: int) -> None:
            state.phase, state.done, state.total = phase, done, total

        try:
            model = self._model()
            state.summary = build([self.settings.articles_dir], self.settings.index_dir, model,
                                  progress=progress, embedder=self._embedder_for(model))
            self._push()
            self.load()
            if self.error:
                raise store.IndexUnavailable(self.error)
        except Exception as exc:
            log.exception("rebuild failed")
            state.error = f"{type(exc).__name__}: {exc}"
        finally:
            state.running = False

    def _wants_vectors(self) -> bool:
        engine = self.engine
        return engine is None or engine.gen.model is not None

    @property
    def index_dir(self) -> Path:
        return self.settings.index_dir
