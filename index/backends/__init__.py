"""What the search engine needs of an index, as one protocol with two implementations:
the embedded on-disk generations (`embedded.py`) and a Qdrant collection (`qdrant.py`).

Scores are raw and exact on both sides (BM25 as `index.lexical.Field` computes it, cosine
of the stored passage vector), so the fusion in `index.search` stays ours whichever index
serves: a backend only finds candidates and scores them. Article text, sentences, their
vectors and metadata stay in the generation's files on either backend (docs/scale-out.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

PASSAGE_FIELDS = ("exact", "folded")  # the fields bm25_top searches
ARTICLE_FIELDS = ("article_exact", "article_folded")  # scored for candidates' articles only
FIELDS = PASSAGE_FIELDS + ARTICLE_FIELDS


@dataclass(slots=True)
class Only:
    """A period filter on the passages a top-k may return: those of articles published on
    day ordinals `first_day`..`last_day`, or undated. `allowed` is the same per article
    (`filters.Restriction.allowed`); each backend uses the form it can apply."""

    allowed: np.ndarray
    first_day: int
    last_day: int
    chunks: np.ndarray | None = None  # per passage, made by the embedded backend on first use


@runtime_checkable
class Backend(Protocol):
    name: str  # "embedded" | "qdrant"
    n_chunks: int
    has_vectors: bool  # passage vectors stored: dense_top / dense_scores work

    def bm25_top(self, field: str, terms: list[str], k: int,
                 only: Only | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, scores), best first (ties by id), of at most k chunks scoring above 0;
        `field` is "exact" or "folded"."""
        ...

    def bm25_scores(self, field: str, terms: list[str], ids: np.ndarray) -> np.ndarray:
        """Exact BM25 of those chunks (for article_* fields, `ids` are article numbers)."""
        ...

    def idf(self, field: str, term: str) -> float:
        """Corpus-wide idf, as `Field.idf` (floored at 0; an unseen term gets the highest)."""
        ...

    def dense_top(self, qvec: np.ndarray, k: int, only: Only | None = None) -> np.ndarray:
        """Chunk ids by cosine to `qvec`, best first."""
        ...

    def dense_scores(self, qvec: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosines of those chunks."""
        ...


def check_field(field: str, allowed: tuple[str, ...]) -> None:
    if field not in allowed:
        raise ValueError(f"unknown BM25 field {field!r}; expected one of {', '.join(allowed)}")
