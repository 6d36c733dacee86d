"""Embeddings for a build, reusing the live generation's by content hash: a rebuild
embeds only text it has not seen (and loads the model only if there is some)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import layout
from .vectors import Encoder, content_hash, load_embedder

log = logging.getLogger(__name__)

# progress(phase, done, total): called often; the caller throttles its output.
Progress = Callable[[str, int, int], None]


def previous_embeddings(gen: Path | None, model: str, base: bool = True) -> dict[bytes, np.ndarray]:
    """Vectors of the (verified) live generation by content hash, when built with the same
    model: its delta's, and its base's too unless `base` is False (an update embeds only a
    few articles, and indexing the archive's hashes would cost more than it saves)."""
    cache: dict[bytes, np.ndarray] = {}
    if gen is None:
        return cache
    try:
        if json.loads((gen / layout.MANIFEST).read_text(encoding="utf-8")).get("model") != model:
            return cache
        delta = gen / layout.DELTA
        for seg in ([gen] if base else []) + ([delta] if delta.is_dir() else []):
            for vec_name, hash_name in layout.VECTORS:
                hashes = np.load(seg / layout.npy(hash_name), allow_pickle=False)
                vecs = np.load(seg / layout.npy(vec_name), allow_pickle=False, mmap_mode="r")
                if len(hashes) == len(vecs):
                    cache.update((bytes(h), vecs[i]) for i, h in enumerate(hashes))
    except (OSError, ValueError, AttributeError) as exc:
        log.warning("embedding cache not usable, re-embedding: %s", exc)
    return cache


class LazyEmbedder:
    """Loads the model only when something needs embedding (a rebuild often needs nothing)."""

    def __init__(self, model: str, embedder: Encoder | None, dim: int | None = None) -> None:
        self.model = model
        self._embedder = embedder
        self._dim = dim

    def get(self) -> Encoder:
        if self._embedder is None:
            self._embedder = load_embedder(self.model)
        return self._embedder

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = self.get().dim
        return self._dim


def embed(lazy: LazyEmbedder, model: str, texts: list[str], cache: dict[bytes, np.ndarray],
           phase: str, progress: Progress) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectors for `texts` (cached ones reused), their hashes, and how many were embedded."""
    hashes = [content_hash(model, t) for t in texts]
    todo = [i for i, h in enumerate(hashes) if h not in cache]
    dim = len(next(iter(cache.values()))) if cache and not todo else lazy.dim
    vecs = np.zeros((len(texts), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        if h in cache:
            vecs[i] = cache[h]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        progress(phase, done, len(todo))

    if todo:
        vecs[todo] = lazy.get().passages([texts[i] for i in todo], tick)
    progress(phase, len(todo), len(todo))
    hash_arr = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(len(hashes), 16)
    return vecs, hash_arr, len(todo)
