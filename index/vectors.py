"""Passage and query embeddings (sentence-transformers) and their faiss index."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import faiss
import numpy as np

from .topk import top_k_sorted

if TYPE_CHECKING:
    from .segments import Stacked

log = logging.getLogger(__name__)

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
# Exact inner product grows linearly with the passages; above 150k it would eat the
# answer's latency budget, so HNSW takes over (timings: docs/performance.md).
HNSW_ABOVE = 150_000
HNSW_M = 32
HNSW_EF_SEARCH = 128


class ModelError(RuntimeError):
    """The embedding model named by EMBEDDING_MODEL could not be loaded."""


class Encoder(Protocol):
    """What the index and the answers need of a model; `name` is its identity in manifests."""

    name: str
    dim: int

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


def load_embedder(name: str) -> Encoder:
    """An ONNX export folder (`python -m index export-onnx`) or a sentence-transformers model."""
    from .onnx_embed import OnnxEmbedder, is_onnx_model

    if is_onnx_model(name):
        try:
            return OnnxEmbedder(name)
        except Exception as exc:
            raise ModelError(f"cannot load ONNX embedding model {name!r}: {exc}") from exc
    return Embedder(name)


class Embedder:
    """A sentence-transformers model used with its own query/passage prompts."""

    def __init__(self, name: str, batch_size: int = 32) -> None:
        # Heavy import kept here so BM25-only tools start fast.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.batch_size = batch_size
        try:
            self.model = SentenceTransformer(name, device="cpu")
        except Exception as exc:
            raise ModelError(
                f"cannot load embedding model {name!r} (EMBEDDING_MODEL / --model): {exc}. "
                "Give a local sentence-transformers folder, or build BM25 only with --no-vectors."
            ) from exc
        prompts = self.model.prompts or {}
        self.query_prompt = "query" if "query" in prompts else None
        self.passage_prompt = next((p for p in ("passage", "document") if p in prompts), None)
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"model {name!r} does not report an embedding dimension")
        self.dim = int(dim)

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 8
        for i in range(0, len(texts), step):
            batch = list(texts[i:i + step])
            out[i:i + len(batch)] = self.model.encode(
                batch, prompt_name=self.passage_prompt, batch_size=self.batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            if progress:
                progress(len(batch))
        return out

    def query(self, text: str) -> np.ndarray:
        vec = self.model.encode([text], prompt_name=self.query_prompt,
                                normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
        return np.asarray(vec[0], dtype=np.float32)


def content_hash(model: str, text: str) -> bytes:
    """Cache key of one passage embedding: same model and same text → same vector."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).digest()[:16]


def needs_ann(n: int) -> bool:
    """Above HNSW_ABOVE passages an HNSW graph is built; below, search is exact over the
    stored embeddings themselves (no second copy of the vectors on disk or in memory)."""
    return n > HNSW_ABOVE


def build_faiss(embeddings: np.ndarray) -> faiss.Index:
    dim = embeddings.shape[1]
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return index


def nearest(embeddings: np.ndarray | Stacked, ann: faiss.Index | None, qvec: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k passages nearest to `qvec`: HNSW when built, else exact inner product."""
    if not isinstance(embeddings, np.ndarray):  # segments.Stacked: an archive and a delta, searched apiece
        return embeddings.nearest(qvec, k)
    k = min(k, len(embeddings))
    if ann is not None:
        _, ids = ann.search(qvec[None, :].astype(np.float32), k)
        return ids[0][ids[0] >= 0]
    return top_k_sorted(np.asarray(embeddings) @ qvec, k)


def write_faiss(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_faiss(path: Path) -> faiss.Index:
    # One query at a time needs no OpenMP team, and faiss's spinning threads slowed the
    # query encoder's next call (docs/performance.md, "Measured in code comments").
    faiss.omp_set_num_threads(1)
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index
