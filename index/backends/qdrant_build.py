"""Write a generation into Qdrant: a full build into a new collection that is switched
to only once complete, and incremental updates (the delta's articles upserted, replaced
or taken-down ones deleted) on the live one.

In-process (QDRANT_PATH), a build is a new shard folder `collections/<name>.partial`,
renamed when complete and named by an atomically replaced CURRENT file — the same steps
as our generations (`store.publish`), so a kill at any point leaves the old one serving.
On a server, a new collection `<alias>-<name>` and one atomic alias switch.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .. import store
from ..filters import article_day
from ..generation import Generation
from ..vectors import needs_ann
from . import ARTICLE_FIELDS, PASSAGE_FIELDS
from .qdrant import ARTICLE_BASE, COLLECTIONS, DEFAULT_ALIAS, SHARD, STATS, SYNCING, QdrantBackend, open_edge
from .qdrant_engines import DENSE, ClientEngine, EdgeEngine, Engine, PointData
from .qdrant_rows import RowBlocks
from .qdrant_stats import Stats

log = logging.getLogger(__name__)
BATCH = 256  # points per upsert: ~1 MB of request with 384-d vectors
KEEP = 2  # the live collection and the one before it (a fallback, as for generations)
def _payload(gen: Generation, article: int, chunk: int | None) -> dict[str, Any]:
    art = gen.articles[article]
    pay: dict[str, Any] = {"article": article, "topics": list(art.topics)}
    if chunk is not None:
        pay["chunk"] = chunk
    if art.published:
        pay["published"] = art.published
    if day := article_day(art):
        pay["day"] = day  # the period filter's key (qdrant_engines.INDEXED_PAYLOAD)
    return pay


def points(gen: Generation, stats: Stats, chunks: range, articles: range,
           batch: int = BATCH) -> Iterator[list[PointData]]:
    """Batches of points for those passages and articles; dead ones are left out."""
    dead = gen.dead_articles
    rows = {f: RowBlocks(getattr(gen, f), stats) for f in PASSAGE_FIELDS}
    emb = gen.embeddings
    out: list[PointData] = []
    for c in chunks:
        a = int(gen.chunk_article[c])
        if dead is not None and dead[a]:
            continue
        vec: dict[str, Any] = {f: rows[f].row(c) for f in PASSAGE_FIELDS}
        if emb is not None:
            vec[DENSE] = np.asarray(emb[c:c + 1], dtype=np.float32)[0].tolist()
        out.append((c, vec, _payload(gen, a, c)))
        if len(out) >= batch:
            yield out
            out = []
    del rows
    arows = {f: RowBlocks(getattr(gen, f), stats) for f in ARTICLE_FIELDS}
    for a in articles:
        if dead is None or not dead[a]:
            out.append((ARTICLE_BASE + a, {f: arows[f].row(a) for f in ARTICLE_FIELDS}, _payload(gen, a, None)))
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out


def _fill(engine: Engine, gen: Generation, stats: Stats, on_batch: Callable[[int], None] | None,
          size: int = BATCH) -> None:
    for n, batch in enumerate(points(gen, stats, range(gen.n_chunks), range(len(gen.articles)), size)):
        engine.upsert(batch)
        if on_batch is not None:
            on_batch(n)  # progress; crash tests kill the build here
    engine.finish()
    stats.meta["points"] = engine.count()


def build_edge(gen: Generation, root: Path, on_batch: Callable[[int], None] | None = None,
               batch: int = BATCH) -> Path:
    """A new in-process collection of `gen` under `root` (QDRANT_PATH), made live only
    once complete and durable. Returns its folder."""
    with store.build_lock(root):
        cols = root / COLLECTIONS
        for p in cols.glob("*" + store.PARTIAL) if cols.is_dir() else ():
            shutil.rmtree(p, ignore_errors=True)  # a killed build's shard: never named by CURRENT
        partial = cols / (store.new_generation_name() + store.PARTIAL)
        partial.mkdir(parents=True)
        try:
            stats = Stats.of(gen)
            engine = EdgeEngine(partial / SHARD, int(stats.meta["dim"]), create=True,  # type: ignore[call-overload]
                                ann=needs_ann(gen.n_chunks))
            try:
                _fill(engine, gen, stats, on_batch, batch)
            finally:
                engine.close()
            stats.save(partial / STATS)
            store.fsync_tree(partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        final = partial.with_name(partial.name.removesuffix(store.PARTIAL))
        os.rename(partial, final)
        store.fsync_dir(cols)
        tmp = root / "CURRENT.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(final.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, root / "CURRENT")  # the switch: readers opening after this see the new one
        store.fsync_dir(root)
        for old in sorted((p for p in cols.iterdir() if p.is_dir() and p.name != final.name
                           and not p.name.endswith(store.PARTIAL)), reverse=True)[KEEP - 1:]:
            shutil.rmtree(old, ignore_errors=True)
        return final


def build_server(gen: Generation, client: Any, stats_dir: Path, alias: str = DEFAULT_ALIAS, shards: int = 1,
                 replicas: int = 1, on_batch: Callable[[int], None] | None = None) -> str:
    """A new collection on a server or cluster, then one atomic alias switch. The stats
    file is written before the switch: a reader that follows the alias finds it."""
    from qdrant_client import models as m

    collection = f"{alias}-{store.new_generation_name()}"
    stats = Stats.of(gen)
    engine = ClientEngine(client, collection)
    try:
        engine.create(int(stats.meta["dim"]) or None, shards, replicas,  # type: ignore[call-overload]
                      ann=needs_ann(gen.n_chunks))
        _fill(engine, gen, stats, on_batch)
        stats_dir.mkdir(parents=True, exist_ok=True)
        stats.save(stats_dir / f"{collection}.npz")
    except BaseException:
        client.delete_collection(collection)
        raise
    ops: list[Any] = [m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=collection, alias_name=alias))]
    if any(a.alias_name == alias for a in client.get_aliases().aliases):
        ops.insert(0, m.DeleteAliasOperation(delete_alias=m.DeleteAlias(alias_name=alias)))
    client.update_collection_aliases(ops)  # delete + create in one request: never without the alias
    ours = sorted(c.name for c in client.get_collections().collections if c.name.startswith(alias + "-"))
    for old in [c for c in ours if c != collection][:-(KEEP - 1) or None]:
        client.delete_collection(old)
        (stats_dir / f"{old}.npz").unlink(missing_ok=True)
    return collection


def sync(backend: QdrantBackend, gen: Generation) -> tuple[int, int]:
    """Make the live collection serve `gen`, a delta generation over the base it was built
    from: upsert the delta's passages and articles, delete the base's dead ones and any
    earlier delta's that are gone, then swap the statistics. Idempotent: after a crash,
    running it again converges (a marker meanwhile makes `open_edge` refuse the
    half-updated collection). Returns (points upserted, points deleted)."""
    if gen.base is None or backend.stats.meta.get("base_key") != gen.base.key:
        raise ValueError("the generation's base is not the collection's: rebuild the collection instead")
    marker = backend.stats_path.with_name(backend.stats_path.name + "." + SYNCING) \
        if backend.stats_path.name != STATS else backend.stats_path.parent / SYNCING
    marker.write_text(gen.name + "\n", encoding="utf-8")
    stats = Stats.of(gen, previous=backend.stats)
    n_base, a_base = gen.base.n_chunks, len(gen.base.articles)
    upserted = 0
    for batch in points(gen, stats, range(n_base, gen.n_chunks), range(a_base, len(gen.articles))):
        backend.engine.upsert(batch)
        upserted += len(batch)
    dead = np.flatnonzero(gen.dead_articles) if gen.dead_articles is not None else np.zeros(0, dtype=np.int64)
    live_delta = {c for c in range(n_base, gen.n_chunks) if gen.dead_articles is None
                  or not gen.dead_articles[gen.chunk_article[c]]}
    gone = [int(c) for c in np.flatnonzero(np.isin(gen.chunk_article[:n_base], dead))]
    gone += [c for c in range(n_base, max(backend.n_chunks, gen.n_chunks)) if c not in live_delta]
    n_art_before = int(backend.stats.meta["n_articles"])  # type: ignore[call-overload]
    gone += [ARTICLE_BASE + int(a) for a in dead] + [ARTICLE_BASE + a for a in range(a_base, n_art_before)
                                                     if a >= len(gen.articles)]
    backend.engine.delete(gone)
    backend.engine.flush()  # the delta stays in its own small segment until the next full build
    stats.meta["points"] = backend.engine.count()
    stats.save(backend.stats_path)
    backend.stats, backend.n_chunks = stats, gen.n_chunks
    marker.unlink()
    return upserted, len(gone)


__all__ = ["build_edge", "build_server", "open_edge", "points", "sync"]
