"""BM25 over passages with bm25s, scored exactly like rank-bm25's BM25Okapi.

bm25s precomputes idf·tf-component per (term, passage) into a sparse matrix, so a
query costs one sparse column sum (2 ms at 100k passages, against 278 ms for
rank-bm25's Python loop). BM25Okapi floors negative idf at eps·mean(idf); bm25s
has no such option, so the matrix is built with an always-positive idf and each
term's column is rescaled to Okapi's idf.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import bm25s
import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25  # rank-bm25's BM25Okapi default

# bm25s logs at INFO on every empty query; it is noise for us.
logging.getLogger("bm25s").setLevel(logging.WARNING)


def okapi_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    floor = EPSILON * float(idf.mean()) if len(idf) else 0.0
    return np.where(idf < 0, floor, idf)


class Lexical:
    """One BM25 field (exact or folded terms)."""

    def __init__(self, model: bm25s.BM25) -> None:
        self.model = model
        self.n_docs = int(model.scores["num_docs"])

    @classmethod
    def build(cls, corpus_terms: list[list[str]]) -> Lexical:
        model = bm25s.BM25(k1=K1, b=B, method="atire", idf_method="bm25l")
        # Empty passages still need a token for bm25s' vocabulary handling.
        model.index([terms or [""] for terms in corpus_terms], show_progress=False)
        n = int(model.scores["num_docs"])
        indptr = np.asarray(model.scores["indptr"])
        df = np.diff(indptr).astype(np.float64)
        have = df > 0
        built_idf = np.where(have, np.log((n + 1) / (df + 0.5)), 1.0)
        target = okapi_idf(df[have], n)
        ratio = np.ones_like(df)
        ratio[have] = target / built_idf[have]
        data = np.asarray(model.scores["data"], dtype=np.float64)
        model.scores["data"] = (data * np.repeat(ratio, np.diff(indptr))).astype(np.float32)
        return cls(model)

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage (float32 array of n_docs)."""
        ids = self.model.get_tokens_ids(terms)
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return self.model.get_scores_from_ids(ids)

    def save(self, directory: Path) -> None:
        self.model.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> Lexical:
        # bm25s loads plain .npy (allow_pickle=False) and JSON.
        model = bm25s.BM25.load(str(directory), mmap=mmap, load_corpus=False, allow_pickle=False)
        return cls(model)

    def idf(self, term: str) -> float:
        """Okapi idf of a term, floored at 0. An unseen term gets the highest idf
        there can be: a question about something no article names should count it."""
        tid = self.model.vocab_dict.get(term)
        if tid is None:
            return math.log(self.n_docs + 0.5) - math.log(0.5)
        indptr = self.model.scores["indptr"]
        df = int(indptr[tid + 1] - indptr[tid])
        return max(math.log(self.n_docs - df + 0.5) - math.log(df + 0.5), 0.0)

