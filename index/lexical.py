"""BM25 over passages, scored exactly like rank-bm25's BM25Okapi, stored as plain arrays.

Each term's column of precomputed idf·tf-weights is kept in CSC form, so a query
costs one scatter-add per query term, not a Python loop over documents (timings:
docs/performance.md). The vocabulary is a sorted array of 64-bit term
hashes rather than a JSON dict: loading a generation is an mmap, not a parse
(a large index's JSON vocabularies took seconds to parse), and the build
never holds the corpus's term lists — only 8-byte hashes. Two terms whose hashes
collide (about one chance in 10^6 with 5M distinct terms) would share statistics.

A field stores only each posting's tf part, tf·(k1+1)/(tf+norm); idf is applied at
query time from the document frequencies of every segment together (`Field`). That is
what lets a small delta segment of new articles be searched beside the archive with
corpus-wide statistics, without rewriting the archive's arrays.
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
FORMAT = "hoibao-bm25/2"  # 2: tf parts only, idf at query time
CACHE_FORMATS = ("hoibao-bm25/1", FORMAT)  # the per-document term cache is the same in both

log = logging.getLogger(__name__)


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


class Lexical:
    """One BM25 field (exact or folded terms; passages or whole articles)."""

    def __init__(self, terms: np.ndarray, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 n_docs: int, docs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 analyzer_key: str = "", avgdl: float = 0.0, idf_floor: float = 0.0) -> None:
        self.terms = terms  # sorted uint64 hashes; a term's id is its position
        self.indptr = indptr  # column of term t: indices/data[indptr[t]:indptr[t + 1]]
        self.indices = indices  # passage numbers
        self.data = data  # tf part of the term's BM25 weight in that passage (idf applied at query time)
        self.n_docs = n_docs
        self.avgdl = avgdl  # a delta segment is built with its base's, so the two score alike
        self.idf_floor = idf_floor  # Okapi's eps·mean(idf), for terms in over half the documents
        # (doc_key, doc_ptr, doc_ids): each document's terms, kept so the next build can
        # skip analysing unchanged text (most of a rebuild's time before this cache)
        self.docs = docs
        self.analyzer_key = analyzer_key

    @classmethod
    def build(cls, corpus: Iterable[list[str] | np.ndarray], keys: np.ndarray | None = None,
              analyzer_key: str = "", avgdl: float | None = None) -> Lexical:
        """`corpus`: each document's terms, or the uint64 term hashes a cache kept for it.
        `keys`: (n_docs, 16) content keys under which the next build finds these documents.
        `avgdl`: the base segment's average length, when this is a delta beside it."""
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
        raw = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        floor = EPSILON * float(raw.mean()) if len(raw) else 0.0
        if avgdl is None:
            avgdl = float(dl.mean()) if n_docs else 0.0
        norm = K1 * (1 - B + B * dl / avgdl) if avgdl else np.full(n_docs, K1)
        weight = tf * (K1 + 1) / (tf + norm[d])
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=indptr[1:])
        return cls(vocab, indptr, d.astype(np.int32), weight.astype(np.float32), n_docs, docs, analyzer_key,
                   avgdl, floor)

    @staticmethod
    def cached_docs(directory: Path, analyzer_key: str) -> dict[bytes, np.ndarray]:
        """Term hashes of the documents a previous build analysed with the same analyser."""
        try:
            params = json.loads((directory / "params.json").read_text(encoding="utf-8"))
            if params.get("format") not in CACHE_FORMATS or params.get("analyzer_key") != analyzer_key \
                    or not analyzer_key:
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

    def postings(self, h: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, tf parts) of the term with hash `h`, or None when unseen."""
        if not len(self.terms):
            return None
        pos = int(np.searchsorted(self.terms, np.uint64(h)))
        if pos >= len(self.terms) or int(self.terms[pos]) != h:
            return None
        lo, hi = int(self.indptr[pos]), int(self.indptr[pos + 1])
        return self.indices[lo:hi], self.data[lo:hi]

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 of every document of this segment alone (a repeated term counts again)."""
        return Field([self]).scores(terms)

    def idf(self, term: str) -> float:
        return Field([self]).idf(term)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("terms", "indptr", "indices", "data"):
            np.save(directory / f"{name}.npy", getattr(self, name), allow_pickle=False)
        if self.docs is not None:
            for name, arr in zip(("key", "ptr", "ids"), self.docs, strict=True):
                np.save(directory / f"doc_{name}.npy", arr, allow_pickle=False)
        params = {"format": FORMAT, "k1": K1, "b": B, "epsilon": EPSILON, "n_docs": self.n_docs,
                  "analyzer_key": self.analyzer_key, "avgdl": self.avgdl, "idf_floor": self.idf_floor}
        (directory / "params.json").write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Lexical:
        params = json.loads((directory / "params.json").read_text(encoding="utf-8"))
        if params.get("format") != FORMAT:
            raise ValueError(f"{directory / 'params.json'}: not a {FORMAT} field")
        terms, indptr, indices, data = (np.load(directory / f"{n}.npy", allow_pickle=False, mmap_mode="r")
                                        for n in ("terms", "indptr", "indices", "data"))
        lex = cls(terms, indptr, indices, data, n_docs=int(params["n_docs"]), avgdl=float(params["avgdl"]),
                  idf_floor=float(params["idf_floor"]))
        if len(lex.indptr) != len(lex.terms) + 1 or len(lex.indices) != len(lex.data) \
                or int(lex.indptr[-1]) != len(lex.data):
            raise ValueError(f"{directory}: BM25 arrays do not fit together")
        return lex


class Field:
    """One BM25 field over segments (the archive, then a delta of new articles): scores
    are concatenated in segment order, idf comes from all segments' frequencies
    together, and documents in `dead` (taken down or replaced) score nothing."""

    def __init__(self, parts: list[Lexical], dead: np.ndarray | None = None) -> None:
        self.parts = parts
        self.offsets = np.cumsum([0] + [p.n_docs for p in parts])
        self.n_docs = int(self.offsets[-1])
        self.idf_floor = parts[0].idf_floor  # the base's: a delta is too small to move it
        self.dead = dead if dead is not None and dead.any() else None

    def _idf(self, df: int) -> float:
        idf = math.log(self.n_docs - df + 0.5) - math.log(df + 0.5)
        return idf if idf >= 0 else self.idf_floor

    def scores(self, terms: list[str]) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        memo: dict[str, int] = {}
        for t in terms:
            h = memo[t] if t in memo else memo.setdefault(t, term_hash(t))
            cols = [(off, p.postings(h)) for off, p in zip(self.offsets, self.parts, strict=False)]
            df = sum(len(c[0]) for _, c in cols if c is not None)
            if not df:
                continue
            idf = np.float32(self._idf(df))
            for off, c in cols:
                if c is not None:
                    out[int(off) + c[0]] += idf * c[1]  # a column never repeats a document
        if self.dead is not None:
            out[self.dead] = 0.0
        return out

    def idf(self, term: str) -> float:
        """Okapi idf of a term, floored at 0. An unseen term gets the highest idf
        there can be: a question about something no article names should count it."""
        h = term_hash(term)
        df = sum(len(c[0]) for p in self.parts if (c := p.postings(h)) is not None)
        if not df:
            return math.log(self.n_docs + 0.5) - math.log(0.5)
        return max(math.log(self.n_docs - df + 0.5) - math.log(df + 0.5), 0.0)
