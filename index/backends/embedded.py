"""The current on-disk generation (`index.generation.Generation`) behind the backend seam.

A thin view: every call is the arrays and `Field`s the generation already has, so the
embedded index keeps its speed and files; nothing is copied or converted. A search asks
for a field's top and then for its candidates' scores; both read one full score vector,
computed once per question and thread (`_scores`), as the search did before the seam.
"""

from __future__ import annotations

import threading

import numpy as np

from ..filters import chunk_mask, dense_pool, mask_scores
from ..generation import Generation
from ..lexical import Field
from ..vectors import nearest
from . import FIELDS, PASSAGE_FIELDS, Only, check_field


def top_of(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best positive scores, best first; ties by ascending id (a stable order, so
    two backends' tops compare up to ties only where scores really tie)."""
    pos = np.flatnonzero(scores > 0)
    if k <= 0 or not len(pos):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if k < len(pos):  # argpartition first: a full sort of 1M scores costs ~60 ms
        pos = np.sort(pos[np.argpartition(-scores[pos], k - 1)[:k]])
    order = np.argsort(-scores[pos], kind="stable")
    return pos[order].astype(np.int64), scores[pos[order]].astype(np.float32)


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, gen: Generation) -> None:
        self.gen = gen
        self.n_chunks = gen.n_chunks
        self.has_vectors = gen.embeddings is not None
        self._last = threading.local()  # per field: (terms, full score vector) of this thread's question

    def _field(self, field: str, allowed: tuple[str, ...] = FIELDS) -> Field:
        check_field(field, allowed)
        f: Field = getattr(self.gen, field)
        return f

    def _scores(self, field: str, terms: list[str]) -> np.ndarray:
        """The field's scores for `terms`, reused while the same thread asks the same terms
        (one question's top, then its candidates): one vector per field and thread is kept."""
        memo: dict[str, tuple[tuple[str, ...], np.ndarray]] = self._last.__dict__.setdefault("memo", {})
        key = tuple(terms)
        got = memo.get(field)
        if got is not None and got[0] == key:
            return got[1]
        scores = self._field(field).scores(terms)
        memo[field] = (key, scores)
        return scores

    def _chunks(self, only: Only) -> np.ndarray:
        if only.chunks is None:  # the dead (taken-down, replaced) articles' passages are left out too
            only.chunks = chunk_mask(self.gen.chunk_article, only.allowed, self.gen.dead_articles)
        return only.chunks

    def bm25_top(self, field: str, terms: list[str], k: int,
                 only: Only | None = None) -> tuple[np.ndarray, np.ndarray]:
        check_field(field, PASSAGE_FIELDS)
        scores = self._scores(field, terms)
        return top_of(scores if only is None else mask_scores(scores, self._chunks(only)), k)

    def bm25_scores(self, field: str, terms: list[str], ids: np.ndarray) -> np.ndarray:
        return self._scores(field, terms)[np.asarray(ids, dtype=np.int64)]

    def idf(self, field: str, term: str) -> float:
        return self._field(field).idf(term)

    def dense_top(self, qvec: np.ndarray, k: int, only: Only | None = None) -> np.ndarray:
        gen = self._vectors()
        assert gen.embeddings is not None
        ids = nearest(gen.embeddings, gen.faiss_index, qvec, k) if only is None \
            else dense_pool(gen.embeddings, gen.faiss_index, qvec, k, self._chunks(only))
        return np.asarray(ids, dtype=np.int64)

    def dense_scores(self, qvec: np.ndarray, ids: np.ndarray) -> np.ndarray:
        emb = self._vectors().embeddings
        assert emb is not None
        rows = np.asarray(emb[np.asarray(ids, dtype=np.int64)], dtype=np.float32)
        return (rows @ qvec.astype(np.float32)).astype(np.float32)

    def _vectors(self) -> Generation:
        if self.gen.embeddings is None:
            raise ValueError(f"{self.gen.path}: built without vectors (BM25 only); no dense search")
        return self.gen

    def close(self) -> None:
        return None  # the generation's files are memory-mapped; nothing to release
