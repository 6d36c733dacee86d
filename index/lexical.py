"""BM25 over passages, scored exactly like rank-bm25's BM25Okapi, stored as plain arrays.

Each term's column of precomputed idf·tf-weights is kept in CSC form, so a query
costs one scatter-add per query term (about 2 ms at 100k passages, against 278 ms
for rank-bm25's Python loop). The vocabulary is a sorted array of 64-bit term
hashes rather than a JSON dict: loading a generation is an mmap, not a parse
(a 100k-passage index's four vocabularies took 2.6 s to parse), and the build
never holds the corpus's term lists — only 8-byte hashes. Two terms whose hashes
collide (about one chance in 10^6 with 5M distinct terms) would share statistics.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from array import array
from collections.abc import Iterable
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25  # rank-bm25's BM25Okapi default
FORMAT = "hoibao-bm25/1"

log = logging.getLogger(__name__)


def okapi_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """BM25Okapi's idf, negative values floored at eps · mean(idf) as rank-bm25 does."""
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    floor = EPSILON * float(idf.mean()) if len(idf) else 0.0
    return np.where(idf < 0, floor, idf)


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


class Lexical:
    """One BM25 field (exact or folded terms; passages or whole articles)."""

    def __init__(self, terms: np.ndarray, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 n_docs: int, docs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 analyzer_key: str = "") -> None:
        self.terms = terms  # sorted uint64 hashes; a term's id is its position
        self.indptr = indptr  # column of term t: indices/data[indptr[t]:indptr[t + 1]]
        self.indices = indices  # passage numbers
        self.data = data  # precomputed BM25 weight of the term in that passage
        self.n_docs = n_docs
        # (doc_key, doc_ptr, doc_ids): each document's terms, kept so the next build can
        # skip analysing unchanged text (most of a rebuild's time before this cache)
        self.docs = docs
        self.analyzer_key = analyzer_key

    @classmethod
    def build(cls, corpus: Iterable[list[str] | np.ndarray], keys: np.ndarray | None = None,
              analyzer_key: str = "") -> Lexical:
        """`corpus`: each document's terms, or the uint64 term hashes a cache kept for it.
        `keys`: (n_docs, 16) content keys under which the next build finds these documents."""
        memo: dict[str, int] = {}
        tokens = array("Q")  # 8 bytes a token: a 1M-passage corpus has ~150M of them
        lengths = array("q")
        for doc in corpus:
            if isinstance(doc, np.ndarray):
                tokens.frombytes(doc.astype(np.uint64).tobytes())
            else:
                tokens.extend([memo[t] if t in memo else memo.setdefault(t, term_hash(t)) for t in doc])
            lengths.append(len(doc))
        del memo
        n_docs = len(lengths)
        dl = np.frombuffer(lengths, dtype=np.int64).astype(np.float64) if n_docs else np.zeros(0)
        hashes = np.frombuffer(tokens, dtype=np.uint64) if len(tokens) else np.zeros(0, dtype=np.uint64)
        vocab, tid = np.unique(hashes, return_inverse=True)
        tid = tid.astype(np.int64)
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), dl.astype(np.int64))
        ptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(dl.astype(np.int64), out=ptr[1:])
        docs = (keys, ptr, tid.astype(np.int32)) if keys is not None else None
        del tokens, hashes
        keys_td, tf = np.unique(tid * max(n_docs, 1) + doc, return_counts=True)
        term, d = keys_td // max(n_docs, 1), keys_td % max(n_docs, 1)
        df = np.bincount(term, minlength=len(vocab)).astype(np.float64)
        idf = okapi_idf(df, n_docs)
        avgdl = float(dl.mean()) if n_docs else 0.0
        norm = K1 * (1 - B + B * dl / avgdl) if avgdl else np.full(n_docs, K1)
        weight = idf[term] * tf * (K1 + 1) / (tf + norm[d])
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=indptr[1:])
        return cls(vocab, indptr, d.astype(np.int32), weight.astype(np.float32), n_docs, docs, analyzer_key)

    @staticmethod
    def cached_docs(directory: Path, analyzer_key: str) -> dict[bytes, np.ndarray]:
        """Term hashes of the documents a previous build analysed with the same analyser."""
        try:
            params = json.loads((directory / "params.json").read_text(encoding="utf-8"))
            if params.get("format") != FORMAT or params.get("analyzer_key") != analyzer_key or not analyzer_key:
                return {}
            terms = np.load(directory / "terms.npy", allow_pickle=False)
            key, ptr, ids = (np.load(directory / f"doc_{n}.npy", allow_pickle=False) for n in ("key", "ptr", "ids"))
            if len(ptr) != len(key) + 1 or ptr[-1] != len(ids) or (len(ids) and ids.max() >= len(terms)):
                raise ValueError("document arrays do not fit together")
            hashes = terms[ids]
        except (OSError, ValueError, IndexError) as exc:
            log.warning("term cache in %s not usable: %s", directory, exc)
            return {}
        return {bytes(k): hashes[ptr[i]:ptr[i + 1]] for i, k in enumerate(key)}

    def _ids(self, terms: list[str]) -> np.ndarray:
        if not terms or not len(self.terms):
            return np.zeros(0, dtype=np.int64)
        h = np.fromiter((term_hash(t) for t in terms), dtype=np.uint64, count=len(terms))
        pos = np.minimum(np.searchsorted(self.terms, h), len(self.terms) - 1)
        return pos[self.terms[pos] == h]

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage (float32 array of n_docs); a repeated term counts again."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for t in self._ids(terms):
            lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
            out[self.indices[lo:hi]] += self.data[lo:hi]  # a column never repeats a passage
        return out

    def idf(self, term: str) -> float:
        """Okapi idf of a term, floored at 0. An unseen term gets the highest idf
        there can be: a question about something no article names should count it."""
        ids = self._ids([term])
        if not len(ids):
            return math.log(self.n_docs + 0.5) - math.log(0.5)
        df = int(self.indptr[ids[0] + 1] - self.indptr[ids[0]])
        return max(math.log(self.n_docs - df + 0.5) - math.log(df + 0.5), 0.0)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("terms", "indptr", "indices", "data"):
            np.save(directory / f"{name}.npy", getattr(self, name), allow_pickle=False)
        if self.docs is not None:
            for name, arr in zip(("key", "ptr", "ids"), self.docs, strict=True):
                np.save(directory / f"doc_{name}.npy", arr, allow_pickle=False)
        params = {"format": FORMAT, "k1": K1, "b": B, "epsilon": EPSILON, "n_docs": self.n_docs,
                  "analyzer_key": self.analyzer_key}
        (directory / "params.json").write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Lexical:
        params = json.loads((directory / "params.json").read_text(encoding="utf-8"))
        if params.get("format") != FORMAT:
            raise ValueError(f"{directory / 'params.json'}: not a {FORMAT} field")
        terms, indptr, indices, data = (np.load(directory / f"{n}.npy", allow_pickle=False, mmap_mode="r")
                                        for n in ("terms", "indptr", "indices", "data"))
        lex = cls(terms, indptr, indices, data, n_docs=int(params["n_docs"]))
        if len(lex.indptr) != len(lex.terms) + 1 or len(lex.indices) != len(lex.data) \
                or int(lex.indptr[-1]) != len(lex.data):
            raise ValueError(f"{directory}: BM25 arrays do not fit together")
        return lex
