"""The current on-disk generation (`index.generation.Generation`) behind the backend seam.

A thin view: every call is the arrays and `Field`s the generation already has, so the
embedded index keeps its speed and files; nothing is copied or converted.
"""

from __future__ import annotations

import numpy as np

from ..generation import Generation
from ..lexical import Field
from ..vectors import nearest
from . import FIELDS, PASSAGE_FIELDS, check_field


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

    def _field(self, field: str, allowed: tuple[str, ...] = FIELDS) -> Field:
        check_field(field, allowed)
        f: Field = getattr(self.gen, field)
        return f

    def bm25_top(self, field: str, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        return top_of(self._field(field, PASSAGE_FIELDS).scores(terms), k)

    def bm25_scores(self, field: str, terms: list[str], ids: np.ndarray) -> np.ndarray:
        scores = self._field(field).scores(terms)
        return scores[np.asarray(ids, dtype=np.int64)]

    def idf(self, field: str, term: str) -> float:
        return self._field(field).idf(term)

    def dense_top(self, qvec: np.ndarray, k: int) -> np.ndarray:
        gen = self._vectors()
        return np.asarray(nearest(gen.embeddings, gen.faiss_index, qvec, k), dtype=np.int64)  # type: ignore[arg-type]

    def dense_scores(self, qvec: np.ndarray, ids: np.ndarray) -> np.ndarray:
        emb = self._vectors().embeddings
        assert emb is not None
        rows = np.asarray(emb[np.asarray(ids, dtype=np.int64)], dtype=np.float32)
        return (rows @ qvec.astype(np.float32)).astype(np.float32)

    def _vectors(self) -> Generation:
        if self.gen.embeddings is None:
            raise ValueError(f"{self.gen.path}: built without vectors (BM25 only); no dense search")
        return self.gen
