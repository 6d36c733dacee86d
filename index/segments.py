"""An index generation as segments: the archive (base) and, after incremental updates,
a small delta of new or changed articles, with the base's replaced or taken-down
articles masked out. One segment's files are read here; `Stacked` searches vectors
across segments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from . import layout, store
from .articles import Article
from .lexical import Lexical
from .listing import SOURCES
from .vectors import needs_ann, read_faiss

DELTA = layout.DELTA
LEXICAL_FIELDS = layout.LEXICAL_FIELDS


@dataclass(slots=True)
class Segment:
    key: str  # identity of its files (their checksums): a swap reuses an unchanged base
    articles: list[Article]
    chunk_article: np.ndarray  # segment-local article numbers
    chunk_span: np.ndarray
    chunk_sentences: np.ndarray  # segment-local sentence range [lo, hi) of each chunk
    sentence_span: np.ndarray
    article_sentence_ptr: np.ndarray
    lexical: dict[str, Lexical]
    embeddings: np.ndarray | None
    sentence_embeddings: np.ndarray | None
    faiss_index: faiss.Index | None

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_article)


def _npy(path: Path, mmap: bool = False) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (OSError, ValueError) as exc:
        raise store.IndexUnavailable(f"{path}: unreadable ({exc})") from exc


def segment_key(files: dict[str, str], delta: bool) -> str:
    """The checksums of one segment's files (the delta's, or everything else), as a key."""
    import hashlib

    # the listing of article files changes with every update, and a calibration is the
    # model's: neither is the segment's content
    own = sorted((n, d) for n, d in files.items()
                 if n.startswith(DELTA + "/") == delta and n not in (SOURCES, layout.CALIBRATION))
    return hashlib.sha256(json.dumps(own).encode()).hexdigest()[:24]


def load_segment(path: Path, key: str, vectors: bool) -> Segment:
    """Read one segment's files (already verified against the manifest)."""
    try:
        with (path / layout.ARTICLES).open(encoding="utf-8") as fh:
            articles = [Article.from_json(json.loads(line)) for line in fh]
        lexical = {f: Lexical.load(path / layout.bm25_dir(f)) for f in LEXICAL_FIELDS}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise store.IndexUnavailable(f"{path}: unreadable index file ({exc})") from exc
    embeddings = sentence_embeddings = faiss_index = None
    if vectors:
        (passages, _), (sentences, _) = layout.VECTORS
        embeddings = _npy(path / layout.npy(passages), mmap=True)
        sentence_embeddings = _npy(path / layout.npy(sentences), mmap=True)
        if needs_ann(len(embeddings)):
            try:
                faiss_index = read_faiss(path / layout.FAISS)
            except RuntimeError as exc:
                raise store.IndexUnavailable(f"{path / layout.FAISS}: unreadable ({exc})") from exc
    records = {name: _npy(path / layout.npy(name)) for name in layout.RECORD_ARRAYS}
    return Segment(key=key, articles=articles, **records, lexical=lexical,
                   embeddings=embeddings, sentence_embeddings=sentence_embeddings, faiss_index=faiss_index)


class Stacked:
    """Row-wise concatenation of segment matrices without copying them (the archive's
    are memory-mapped), with the rows of dead passages never returned by `nearest`."""

    def __init__(self, parts: list[np.ndarray], ann: faiss.Index | None = None,
                 dead: np.ndarray | None = None) -> None:
        self.parts = parts
        self.offsets = np.cumsum([0] + [len(p) for p in parts])
        self.ann = ann  # the first part's HNSW graph, if it has one
        self.dead = dead if dead is not None and dead.any() else None
        self.shape = (int(self.offsets[-1]), parts[0].shape[1])
        self.dtype = parts[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx: slice | np.ndarray) -> np.ndarray:
        if isinstance(idx, slice):
            start, stop, _ = idx.indices(len(self))
            part = int(np.searchsorted(self.offsets, start, side="right")) - 1
            if stop <= self.offsets[part + 1]:  # within one segment: a view, as for an array
                off = int(self.offsets[part])
                return self.parts[part][start - off:stop - off]
            idx = np.arange(start, stop)
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty((len(idx), self.shape[1]), dtype=self.dtype)
        which = np.searchsorted(self.offsets, idx, side="right") - 1
        for part in np.unique(which):
            sel = which == part
            out[sel] = self.parts[int(part)][idx[sel] - self.offsets[part]]
        return out

    def nearest(self, qvec: np.ndarray, k: int) -> np.ndarray:
        """Ids of the k live rows nearest to `qvec`, over every segment."""
        from .vectors import nearest

        ids, sims = [], []
        for part, (off, mat) in enumerate(zip(self.offsets, self.parts, strict=False)):
            if not len(mat):
                continue
            dead = self.dead[int(off):int(off) + len(mat)] if self.dead is not None else None
            extra = min(int(dead.sum()), 4 * k) if dead is not None else 0
            got = nearest(mat, self.ann if part == 0 else None, qvec, k + extra)
            if dead is not None:
                got = got[~dead[got]]
            ids.append(got + int(off))
            sims.append(np.asarray(mat[got], dtype=np.float32) @ qvec)
        if not ids:
            return np.zeros(0, dtype=np.int64)
        all_ids, all_sims = np.concatenate(ids), np.concatenate(sims)
        return all_ids[np.argsort(-all_sims, kind="stable")[:k]]
