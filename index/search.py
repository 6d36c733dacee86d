"""Lexical + dense retrieval over passages, fused, one passage per article.

Both retrievers score the union of their candidate pools exactly (BM25 from the
full score vector, cosine from the stored embeddings), so fusion never has to
guess a missing score. Fusion is a convex mix of min-max normalised scores,
which measured above RRF and z-score fusion on the dev split.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .generation import Generation
from .query import Query
from .vectors import Embedder

POOL = 100  # candidates taken from each retriever
MODES = ("hybrid", "bm25", "dense")


@dataclass(frozen=True, slots=True)
class Candidate:
    chunk: int
    article: int
    score: float  # fused, 0–1
    bm25: float  # raw BM25
    cosine: float  # raw cosine (0 when dense is off)


@dataclass(slots=True)
class Weights:
    bm25: float = 0.5  # share of the min-max BM25 score in the fused score
    mode: str = "hybrid"


class Retriever:
    def __init__(self, gen: Generation, embedder: Embedder | None, weights: Weights | None = None) -> None:
        self.gen = gen
        self.embedder = embedder if gen.embeddings is not None else None
        self.weights = weights or Weights()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()

    def query_vector(self, text: str) -> np.ndarray:
        """Query embedding, cached: readers repeat questions and paging re-asks them."""
        assert self.embedder is not None
        vec = self._qcache.get(text)
        if vec is None:
            vec = self.embedder.query(text)
            self._qcache[text] = vec
            if len(self._qcache) > 2048:
                self._qcache.popitem(last=False)
        else:
            self._qcache.move_to_end(text)
        return vec

    def search(self, q: Query, n_articles: int) -> list[Candidate]:
        gen = self.gen
        mode = self.weights.mode
        use_bm25 = mode != "dense"
        use_dense = mode != "bm25" and self.embedder is not None and q.dense_text is not None
        if not use_bm25 and not use_dense:
            use_bm25 = True  # dense-only mode but this query cannot go to dense
        field = gen.exact if q.accented else gen.folded
        bm = field.scores(q.terms) if q.terms else np.zeros(gen.n_chunks, dtype=np.float32)
        pools = []
        if use_bm25:
            k = min(POOL, gen.n_chunks)
            top = np.argpartition(-bm, k - 1)[:k] if k < gen.n_chunks else np.arange(gen.n_chunks)
            pools.append(top[bm[top] > 0])
        qvec = None
        if use_dense:
            assert q.dense_text is not None and gen.faiss_index is not None and gen.embeddings is not None
            qvec = self.query_vector(q.dense_text)
            _, ids = gen.faiss_index.search(qvec[None, :], min(POOL, gen.n_chunks))
            pools.append(ids[0][ids[0] >= 0])
        if not pools or not sum(len(p) for p in pools):
            return []
        cand = np.unique(np.concatenate(pools))
        cb = bm[cand].astype(np.float64)
        cd = (np.asarray(gen.embeddings[cand]) @ qvec).astype(np.float64) if qvec is not None else np.zeros(len(cand))
        if use_bm25 and use_dense:
            w = self.weights.bm25
            fused = w * _minmax(cb) + (1 - w) * _minmax(cd)
        elif use_dense:
            fused = _minmax(cd)
        else:
            fused = _minmax(cb)
        order = np.argsort(-fused, kind="stable")
        seen: set[int] = set()
        out: list[Candidate] = []
        for i in order:
            c = int(cand[i])
            art = int(gen.chunk_article[c])
            if art in seen:
                continue
            seen.add(art)
            out.append(Candidate(c, art, float(fused[i]), float(cb[i]), float(cd[i])))
            if len(out) >= n_articles:
                break
        return out


def _minmax(x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)
