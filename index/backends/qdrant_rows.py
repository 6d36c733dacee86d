"""One lexical field's postings turned per document, a block of documents at a time.

Our BM25 fields are stored by term (CSC: documents per term); Qdrant wants each point's
sparse vector (terms per document). Transposing a whole 1M-passage field at once holds
~16 bytes per posting — gigabytes — so documents are turned in blocks of about
`BLOCK_POSTINGS` postings, and only the block being pushed is held.
"""

from __future__ import annotations

import numpy as np

from ..lexical import Field, Lexical
from .qdrant_stats import Stats

BLOCK_POSTINGS = 8_000_000  # ~200 MB of temporaries per block; more blocks = more passes over the field
Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # CSR of one block: indptr, term ids, tf parts


def _turn(part: Lexical, ids: np.ndarray, lo: int, hi: int) -> Rows:
    """Documents [lo, hi) of one part as CSR, with our term ids (`ids`, per part column)."""
    docs = np.asarray(part.indices)
    pos = np.flatnonzero((docs >= lo) & (docs < hi))
    col = np.searchsorted(np.asarray(part.indptr), pos, side="right") - 1  # pos ascends: columns ascend too
    rows = docs[pos].astype(np.int64) - lo
    order = np.argsort(rows, kind="stable")  # by document, each document's terms in column order
    indptr = np.zeros(hi - lo + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=hi - lo), out=indptr[1:])
    return indptr, ids[col[order]].astype(np.uint32), np.asarray(part.data)[pos[order]].astype(np.float32)


class RowBlocks:
    """Per-document sparse rows of a field, read in ascending document order."""

    def __init__(self, field: Field, stats: Stats, block_postings: int = BLOCK_POSTINGS) -> None:
        self.parts = field.parts
        self.offsets = np.cumsum([0] + [p.n_docs for p in field.parts])
        self.stats, self.block_postings = stats, block_postings
        self._ids: dict[int, np.ndarray] = {}
        self._block: tuple[int, int, int, Rows] | None = None  # part, lo, hi, rows

    def _block_size(self, part: Lexical) -> int:
        per_doc = len(part.indices) / max(part.n_docs, 1)
        return max(1, int(self.block_postings / max(per_doc, 1.0)))

    def _load(self, p: int, local: int) -> tuple[int, int, int, Rows]:
        part = self.parts[p]
        if p not in self._ids:
            self._ids = {p: self.stats.lookup(np.asarray(part.terms))}  # one part's term map at a time
        size = self._block_size(part)
        lo = local - local % size
        hi = min(part.n_docs, lo + size)
        return p, lo, hi, _turn(part, self._ids[p], lo, hi)

    def row(self, doc: int) -> tuple[list[int], list[float]]:
        """(term ids, tf parts) of document `doc` of the whole field."""
        p = int(np.searchsorted(self.offsets, doc, side="right")) - 1
        local = doc - int(self.offsets[p])
        b = self._block
        if b is None or b[0] != p or not b[1] <= local < b[2]:
            b = self._block = self._load(p, local)
        indptr, cols, vals = b[3]
        i = local - b[1]
        lo, hi = int(indptr[i]), int(indptr[i + 1])
        return cols[lo:hi].tolist(), vals[lo:hi].tolist()
