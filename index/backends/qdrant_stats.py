"""Corpus-wide BM25 statistics of a Qdrant collection, kept by the client, and the
term vocabulary that maps our 64-bit term hashes to Qdrant's u32 sparse indices.

Why a vocabulary table and not 32-bit hashes: the dev split has 123,634 distinct terms
over the four fields (syllable uni+bigrams), and truncating their hashes to 32 bits
already merges 3 pairs (measured; the birthday bound n²/2³³ predicts ~2); at the ~5M
terms of a 1M-passage archive it predicts ~2,900. A collision merges two terms' postings
inside Qdrant (a query for one scores the other), which no client-side fix can undo.
The table costs 12 bytes a term (hash + id), read once when the collection is opened;
ids are dense, so `df` arrays index by them.

The file is one `.npz` (arrays only, loaded with allow_pickle=False) written beside the
collection and swapped with os.replace, so readers see the old or the new whole; its zip
CRCs make a damaged file fail loudly instead of scoring with wrong frequencies.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..generation import Generation
from ..lexical import Field, term_hash
from ..store import IndexUnavailable
from . import FIELDS

FORMAT = "hoibao-qdrant-stats/2"  # 2: passages carry the "day" payload the period filter uses


@dataclass(slots=True)
class Stats:
    vocab: np.ndarray  # sorted uint64 term hashes
    ids: np.ndarray  # uint32 Qdrant index of vocab[i]; ids are 0..len-1, in any order
    df: dict[str, np.ndarray]  # per field, document frequency by term id (dead documents included)
    meta: dict[str, object]  # n_docs and idf_floor per field, counts, source generation

    @classmethod
    def of(cls, gen: Generation, previous: Stats | None = None) -> Stats:
        """The statistics `gen`'s own `Field`s use: the same n_docs and df (which count the
        base's dead documents until a merge, as Field.scores does) and the base's idf floor.
        `previous`: keep its term ids (points already written use them); new terms get new ids."""
        fields: dict[str, Field] = {f: getattr(gen, f) for f in FIELDS}
        hashes = np.unique(np.concatenate([p.terms for fl in fields.values() for p in fl.parts]
                                          + [np.zeros(0, dtype=np.uint64)]).astype(np.uint64))
        if previous is None:
            vocab, ids = hashes, np.arange(len(hashes), dtype=np.uint32)
        else:
            new = np.setdiff1d(hashes, previous.vocab, assume_unique=True)
            vocab = np.concatenate([previous.vocab, new])
            ids = np.concatenate([previous.ids, np.arange(len(previous.vocab), len(vocab), dtype=np.uint32)])
            order = np.argsort(vocab, kind="stable")
            vocab, ids = vocab[order], ids[order]
        if len(vocab) >= 2**32:
            raise ValueError(f"{len(vocab)} distinct terms do not fit Qdrant's u32 sparse indices")
        stats = cls(vocab, ids, {}, {})
        for name, fl in fields.items():
            df = np.zeros(len(vocab), dtype=np.int64)
            for p in fl.parts:
                np.add.at(df, stats.lookup(p.terms), np.diff(np.asarray(p.indptr)))
            stats.df[name] = df.astype(np.int32)
        stats.meta = {"format": FORMAT, "n_docs": {f: fl.n_docs for f, fl in fields.items()},
                      "idf_floor": {f: float(fl.idf_floor) for f, fl in fields.items()},
                      "n_chunks": gen.n_chunks, "n_articles": len(gen.articles), "generation": gen.name,
                      "base_key": gen.base.key if gen.base is not None else "", "model": gen.model,
                      "dim": int(gen.embeddings.shape[1]) if gen.embeddings is not None else 0}
        return stats

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Term ids of hashes that are all in the vocabulary."""
        return self.ids[np.searchsorted(self.vocab, np.asarray(hashes, dtype=np.uint64))].astype(np.int64)

    def term_id(self, h: int) -> int | None:
        pos = int(np.searchsorted(self.vocab, np.uint64(h)))
        return int(self.ids[pos]) if pos < len(self.vocab) and int(self.vocab[pos]) == h else None

    def _df(self, field: str, term: str) -> int:
        tid = self.term_id(term_hash(term))
        return int(self.df[field][tid]) if tid is not None else 0

    def n_docs(self, field: str) -> int:
        return int(self.meta["n_docs"][field])  # type: ignore[index]

    def idf(self, field: str, term: str) -> float:
        """As `Field.idf`: floored at 0, and the highest there can be for an unseen term."""
        n, df = self.n_docs(field), self._df(field, term)
        if not df:
            return math.log(n + 0.5) - math.log(0.5)
        return max(math.log(n - df + 0.5) - math.log(df + 0.5), 0.0)

    def query_vector(self, field: str, terms: list[str]) -> tuple[list[int], list[float]]:
        """Sparse query whose dot product with a stored tf-part vector is the document's
        BM25, as Field.scores computes it: the scoring idf (Okapi's floor for terms in over
        half the documents), once per occurrence of a repeated term, unseen terms dropped."""
        n = self.n_docs(field)
        floor = float(self.meta["idf_floor"][field])  # type: ignore[index]
        weights: dict[int, float] = {}
        for term, count in Counter(terms).items():
            tid = self.term_id(term_hash(term))
            df = int(self.df[field][tid]) if tid is not None else 0
            if tid is None or not df:
                continue
            idf = math.log(n - df + 0.5) - math.log(df + 0.5)
            weights[tid] = float(np.float32(idf if idf >= 0 else floor)) * count
        return list(weights), list(weights.values())

    def save(self, path: Path) -> None:
        """Write to `path` atomically (a temporary file renamed over it, both fsynced)."""
        tmp = path.with_name(path.name + ".tmp")
        arrays = {"vocab": self.vocab, "ids": self.ids, **{f"df_{f}": d for f, d in self.df.items()},
                  "meta": np.frombuffer(json.dumps(self.meta).encode(), dtype=np.uint8)}
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Stats:
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode())
                stats = cls(z["vocab"], z["ids"], {f: z[f"df_{f}"] for f in FIELDS}, meta)
        except FileNotFoundError as exc:
            raise IndexUnavailable(f"{path}: missing (the collection's BM25 statistics)") from exc
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise IndexUnavailable(f"{path}: unreadable BM25 statistics ({exc})") from exc
        if meta.get("format") != FORMAT or len(stats.vocab) != len(stats.ids) \
                or any(len(d) != len(stats.vocab) for d in stats.df.values()):
            raise IndexUnavailable(f"{path}: not {FORMAT}, or its arrays do not fit together")
        return stats
