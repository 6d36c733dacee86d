"""Lexical + dense retrieval over passages, fused, one passage per article.

Signals, each min-max normalised over the candidate pool and mixed convexly
(ablation in docs/answers.md):
- BM25 of the passage (exact or folded field, by how the question was typed);
- cosine of the passage;
- BM25 of the whole article;
- best cosine of any single sentence of the article.
Pool size and weights are `Tuning`'s (what each signal brought: docs/answers.md).
Passages are found and scored through a `Backend` (the generation's own arrays, or a
Qdrant collection): both retrievers score the union of their pools exactly, so no score
is ever guessed. The article-level signals read the generation (sentence vectors,
publication days) on either backend.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .backends import Backend, Only
from .filters import Restriction, article_days, restriction, today_in_vietnam
from .generation import Generation
from .query import Query
from .topk import minmax
from .tuning import DEFAULT, Tuning
from .vectors import Encoder

QUERY_CACHE = 2048  # query vectors kept: readers repeat questions and paging re-asks them


@dataclass(frozen=True, slots=True)
class Candidate:
    chunk: int
    article: int
    score: float  # fused, 0–1
    bm25: float  # raw passage BM25
    cosine: float  # raw passage cosine (0 when dense is off)
    after: bool = False  # undated, under a period filter: ranked after every dated article


@dataclass(frozen=True, slots=True)
class Results:
    candidates: list[Candidate]
    query_vector: np.ndarray | None  # for sentence-level scoring of the quote
    empty_period: bool = False  # the question's period holds no article


@dataclass(slots=True)
class Weights:
    """The fusion weights in use (from a `Tuning`) and which retrievers run."""

    passage_bm25: float = DEFAULT.passage_bm25  # the rest of 1 goes to passage cosine
    article_bm25: float = DEFAULT.article_bm25
    sentence_cosine: float = DEFAULT.sentence_cosine
    mode: str = "hybrid"  # "bm25" / "dense": one retriever alone, for the ablation

    @classmethod
    def of(cls, tuning: Tuning, mode: str = "hybrid") -> Weights:
        return cls(tuning.passage_bm25, tuning.article_bm25, tuning.sentence_cosine, mode)


@dataclass(slots=True)
class Retriever:
    gen: Generation
    embedder: Encoder | None
    weights: Weights = field(default_factory=Weights)
    tuning: Tuning = DEFAULT  # pool size and recency prior
    backend: Backend = field(kw_only=True)  # what finds and scores passages (`index.backends`)
    _qcache: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)
    _qlock: threading.Lock = field(default_factory=threading.Lock)  # the bot answers from threads
    _days: np.ndarray | None = None  # publication day per article (filters.article_days), made on first use

    def __post_init__(self) -> None:
        if not self.backend.has_vectors:
            self.embedder = None

    def query_vector(self, text: str) -> np.ndarray:
        """Query embedding, cached: readers repeat questions and paging re-asks them."""
        assert self.embedder is not None
        with self._qlock:
            vec = self._qcache.get(text)
            if vec is not None:
                self._qcache.move_to_end(text)
                return vec
        vec = self.embedder.query(text)
        with self._qlock:
            self._qcache[text] = vec
            if len(self._qcache) > QUERY_CACHE:
                self._qcache.popitem(last=False)
        return vec

    def search(self, q: Query, n_articles: int) -> Results:
        gen, w, be = self.gen, self.weights, self.backend
        use_dense = w.mode != "bm25" and self.embedder is not None and q.dense_text is not None
        use_bm25 = w.mode != "dense" or not use_dense
        field_ = "exact" if q.accented else "folded"
        restrict, only = self._restriction(q)
        if restrict is not None and restrict.empty:
            return Results([], None, empty_period=True)
        pools = []
        if use_bm25 and q.terms:
            pools.append(be.bm25_top(field_, q.terms, self.tuning.pool, only)[0])
        qvec = None
        if use_dense:
            assert q.dense_text is not None
            qvec = self.query_vector(q.dense_text)
            pools.append(be.dense_top(qvec, self.tuning.pool, only))
        cand = np.unique(np.concatenate(pools)) if pools else np.zeros(0, dtype=np.int64)
        if not len(cand):
            return Results([], qvec)
        arts = gen.chunk_article[cand]
        cb = be.bm25_scores(field_, q.terms, cand).astype(np.float64) if q.terms else np.zeros(len(cand))
        cd = be.dense_scores(qvec, cand).astype(np.float64) if qvec is not None else np.zeros(len(cand))
        if use_bm25 and use_dense:
            assert qvec is not None
            fused = self._fuse(q, arts, cb, cd, qvec)
        else:
            fused = minmax(cd if use_dense else cb)
        fused, after, order = (fused, np.zeros(len(cand), dtype=bool), np.argsort(-fused, kind="stable")) \
            if restrict is None else restrict.rank(fused, arts)
        seen: set[int] = set()
        out: list[Candidate] = []
        for i in order:
            a = int(arts[i])
            if a in seen:
                continue
            seen.add(a)
            out.append(Candidate(int(cand[i]), a, float(fused[i]), float(cb[i]), float(cd[i]), bool(after[i])))
            if len(out) >= n_articles:
                break
        return Results(out, qvec)

    def _fuse(self, q: Query, arts: np.ndarray, cb: np.ndarray, cd: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """The weighted mean of the four min-max normalised signals of each candidate."""
        gen, w = self.gen, self.weights
        fused = w.passage_bm25 * minmax(cb) + (1 - w.passage_bm25) * minmax(cd)
        total = 1.0
        if w.article_bm25 and q.terms:
            article = self.backend.bm25_scores("article_exact" if q.accented else "article_folded", q.terms, arts)
            fused += w.article_bm25 * minmax(article.astype(np.float64))
            total += w.article_bm25
        if w.sentence_cosine and gen.sentence_embeddings is not None:
            fused += w.sentence_cosine * minmax(self._best_sentence(arts, qvec))
            total += w.sentence_cosine
        fused /= total
        return fused

    def clock(self, pinned: date | None = None) -> date | None:
        """Today, for the time expressions of questions (`pinned`, else HOIBAO_TODAY or the clock in
        Vietnam); None when no article has a date: nothing to filter, so questions stay as typed."""
        if self._days is None:
            self._days = article_days(self.gen.articles)
        return (pinned or today_in_vietnam()) if self._days.any() else None

    def _restriction(self, q: Query) -> tuple[Restriction | None, Only | None]:
        """What the question's time expressions ask, and the filter a period puts on the pools (None: all)."""
        if q.today is None or (q.period is None and not q.recent):
            return None, None
        if self._days is None:
            self._days = article_days(self.gen.articles)
        r = restriction(q.period, q.recent, self._days, q.today, self.tuning.recency_weight,
                        self.tuning.recency_half_life_days)
        if r is None or r.allowed is None:
            return r, None
        assert q.period is not None  # only a period sets `allowed`
        return r, Only(r.allowed, q.period.start.toordinal(), q.period.last_published.toordinal())

    def _best_sentence(self, arts: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """For each candidate's article, the best cosine of any of its sentences."""
        gen = self.gen
        assert gen.sentence_embeddings is not None
        uniq, inv = np.unique(arts, return_inverse=True)
        lo, hi = gen.article_sentence_ptr[uniq], gen.article_sentence_ptr[uniq + 1]
        lengths = hi - lo
        idx = np.repeat(lo - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
        # float16 on disk; numpy has no BLAS for it, so widen the gathered rows first (much faster)
        sims = np.asarray(gen.sentence_embeddings[idx], dtype=np.float32) @ qvec
        best = np.full(len(uniq), -1.0)
        nonempty = lengths > 0
        starts = np.cumsum(np.r_[0, lengths[:-1]])[nonempty]
        best[nonempty] = np.maximum.reduceat(sims, starts)
        return best[inv].astype(np.float64)


__all__ = ["Candidate", "Results", "Retriever", "Weights", "minmax"]
