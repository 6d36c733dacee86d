"""INDEX_BACKEND in one place: open the index a process serves (the generation, and the
backend that finds its passages), describe it for `info`, and bring a Qdrant collection
up to the live generation after a build or an update (`push`).

With Qdrant the generation loaded is the one the collection was built or synced from (its
statistics name it), not necessarily the newest: passage numbers must mean the same
passages on both sides, so a bot serves what the collection serves until the next push.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..generation import Generation, load
from ..settings import IndexSettings
from ..store import PINNED, IndexUnavailable, current_name
from . import Backend
from .embedded import EmbeddedBackend
from .qdrant import QdrantBackend, open_backend

log = logging.getLogger(__name__)


def open_qdrant(env: IndexSettings, serving: Backend | None = None) -> QdrantBackend:
    """`serving`: this process's backend now, whose open edge shard is reused when the collection is the same."""
    q = env.qdrant
    return open_backend(q.path, q.url, q.api_key, q.alias, q.stats_dir,
                        serving if isinstance(serving, QdrantBackend) else None)


def load_index(env: IndexSettings, model: str | None, previous: Generation | None = None,
               serving: Backend | None = None) -> tuple[Generation, Backend]:
    """The generation to serve and its backend; IndexUnavailable names what is missing or damaged."""
    if env.backend != "qdrant":
        gen = load(env.index_dir, model=model, previous=previous)
        return gen, EmbeddedBackend(gen)
    qd = open_qdrant(env, serving)
    try:
        name = str(qd.stats.meta.get("generation") or "")
        gen = load(env.index_dir, model=model, name=name, previous=previous)
        if gen.n_chunks != qd.n_chunks or len(gen.articles) != qd.stats.meta.get("n_articles"):
            raise IndexUnavailable(f"Qdrant collection {qd.collection} does not match generation {name} "
                                   f"({qd.n_chunks} passages against {gen.n_chunks}); push again")
        if qd.has_vectors != (gen.embeddings is not None):
            raise IndexUnavailable(f"Qdrant collection {qd.collection} and generation {name} disagree on "
                                   "passage vectors; push again")
    except BaseException:
        if not isinstance(serving, QdrantBackend) or qd.engine is not serving.engine:
            qd.close()
        raise
    return gen, qd


def served_generation(env: IndexSettings) -> str | None:
    """The generation a reader should serve now, cheaply (a replica polls it): the live one,
    or with Qdrant the one the writer's last push made the collection serve (PINNED)."""
    if env.backend != "qdrant":
        return current_name(env.index_dir)
    try:
        return (env.index_dir / PINNED).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def describe(env: IndexSettings) -> dict[str, Any]:
    """What `info` adds: the backend, and for Qdrant the collection and what it serves."""
    if env.backend != "qdrant":
        return {"backend": "embedded"}
    qd = open_qdrant(env)
    try:
        return {"backend": "qdrant", "qdrant": "embedded shard" if env.qdrant.path else env.qdrant.url,
                "collection": qd.collection, "collection_generation": qd.stats.meta.get("generation"),
                "points": qd.stats.meta.get("points")}
    finally:
        qd.close()


def push(gen: Generation, current: QdrantBackend | None, full: Callable[[], object]) -> str:
    """What was done to make the collection serve `gen`: "unchanged", "sync" (the delta
    upserted, the dead deleted) or "build" (a new collection, then the switch)."""
    from .qdrant_build import sync

    if current is not None and current.stats.meta.get("generation") == gen.name:
        return "unchanged"
    if current is not None and gen.base is not None and current.stats.meta.get("base_key") == gen.base.key:
        up, gone = sync(current, gen)
        log.info("synced %s: %d points upserted, %d deleted", gen.name, up, gone)
        return "sync"
    full()
    return "build"


def push_live(env: IndexSettings, gen: Generation | None = None, serving: Backend | None = None) -> str:
    """Bring the Qdrant collection up to the live generation of INDEX_DIR (or `gen`). The only
    writer: with QDRANT_PATH no other process may have the shard open meanwhile; a serving
    process passes its backend (`serving`), whose shard the sync then writes through."""
    from .qdrant_build import build_edge, build_server

    gen = gen if gen is not None else load(env.index_dir)
    q = env.qdrant
    current: QdrantBackend | None = None
    try:
        current = open_qdrant(env, serving)  # a new object: the serving one keeps its statistics
    except IndexUnavailable as exc:
        log.info("no usable Qdrant collection (%s): building one", exc)
    shared = isinstance(serving, QdrantBackend) and current is not None and current.engine is serving.engine
    try:
        if q.path is not None:
            path = q.path
            done = push(gen, current, lambda: build_edge(gen, path))
        elif q.url and q.stats_dir is not None:
            from qdrant_client import QdrantClient

            client, stats_dir = QdrantClient(url=q.url, api_key=q.api_key), q.stats_dir
            done = push(gen, current, lambda: build_server(gen, client, stats_dir, q.alias, q.shards, q.replicas))
        else:
            raise IndexUnavailable("INDEX_BACKEND=qdrant needs QDRANT_PATH or QDRANT_URL")
        pin(env.index_dir, gen.name)
        return done
    finally:
        if current is not None and not shared:
            current.close()


def pin(index_dir: Path, name: str) -> None:
    """Name the generation the collection now serves in INDEX_DIR/PINNED, atomically: builds
    never prune it, even when a later push fails and the collection stays on it."""
    tmp = index_dir / (PINNED + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / PINNED)


def push_if_qdrant(env: IndexSettings, serving: Backend | None = None) -> str | None:
    """After `build`, `update` or `sync`: the push, when INDEX_BACKEND=qdrant."""
    return push_live(env, serving=serving) if env.backend == "qdrant" else None


__all__ = ["describe", "load_index", "pin", "push", "push_if_qdrant", "push_live", "served_generation"]
