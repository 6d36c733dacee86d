"""Running a test on either index backend: the generation's own arrays ("embedded") or a
Qdrant collection on the real engine in-process ("qdrant", `qdrant-edge-py`). Tests take
the backend as a parameter, so the same assertions hold for both."""

from __future__ import annotations

from pathlib import Path

from index.answer import Engine
from index.backends import Backend
from index.backends.embedded import EmbeddedBackend
from index.backends.qdrant import open_edge
from index.backends.qdrant_build import build_edge
from index.backends.serve import load_index, push_live
from index.generation import Generation
from index.settings import IndexSettings, QdrantSettings
from index.vectors import Encoder

BACKENDS = ("embedded", "qdrant")


def serving(gen: Generation, backend: str, root: Path) -> Backend:
    """`gen` behind `backend`; for Qdrant a collection of it built under `root`."""
    if backend == "embedded":
        return EmbeddedBackend(gen)
    build_edge(gen, root)
    return open_edge(root)


def engine_for(gen: Generation, backend: str, root: Path, embedder: Encoder | None = None) -> Engine:
    return Engine(gen, embedder, backend=serving(gen, backend, root))


def settings(index_dir: Path, backend: str, articles: Path | None = None) -> IndexSettings:
    """What the environment below (`env`) makes IndexSettings.from_env read."""
    return IndexSettings(index_dir, articles or index_dir, None, backend,
                         QdrantSettings(path=index_dir.parent / "qdrant") if backend == "qdrant" else QdrantSettings())


def env(index_dir: Path, backend: str) -> dict[str, str]:
    """INDEX_BACKEND and QDRANT_PATH for a CLI run (the shard lives beside INDEX_DIR)."""
    if backend == "embedded":
        return {"INDEX_BACKEND": "embedded"}
    return {"INDEX_BACKEND": "qdrant", "QDRANT_PATH": str(index_dir.parent / "qdrant")}


def publish(index_dir: Path, backend: str) -> None:
    """After a build in this process: what `python -m index build` then does for Qdrant."""
    if backend == "qdrant":
        push_live(settings(index_dir, backend))


def live_engine(index_dir: Path, backend: str) -> Engine:
    """What the bot serves at start (fully verified load, BM25 only)."""
    gen, be = load_index(settings(index_dir, backend), None)
    return Engine(gen, None, backend=be)
