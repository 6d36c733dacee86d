"""The index in Qdrant: one point per passage (sparse "exact" and "folded" BM25 vectors,
the "dense" passage vector, payload article/chunk/published/topics) and one per article
(sparse "article_exact"/"article_folded"), at ARTICLE_BASE + its number.

BM25 as a sparse dot product. A stored vector's indices are our term ids (`qdrant_stats`)
and its values the term's tf part in that passage, tf·(k1+1)/(tf+k1·(1−b+b·dl/avgdl)),
exactly `Lexical.data`. The query vector's values are the terms' idf, computed here from
the document frequencies the build saved beside the collection. Their dot product is the
passage's BM25 as `Field.scores` gives it, to float32 rounding.

Why not Qdrant's `Modifier.Idf`:
- it computes idf per shard (each shard counts its own documents), so a collection split
  over 3 nodes would score one passage three different ways depending on where it landed,
  and small or skewed shards move rankings; ours must be corpus-wide to equal the embedded
  index's answers, and to stay put when a node is added;
- its formula is not ours: Okapi BM25 as rank-bm25 computes it floors a negative idf
  (terms in over half the passages) at ε·mean(idf) of the corpus, and idf is computed
  over the base and delta segments together, counting a replaced article until a merge;
  `Field.idf` (unseen term → highest idf) differs again. Both need the client's numbers.
The client therefore holds the statistics, and a collection can have any number of
shards: a query's score no longer depends on how points are distributed.

Exact scores of a candidate set: a query restricted by a HasId filter, limit = the set's
size (`score_by="filter"`), or retrieving the vectors and scoring in numpy ("vectors").
Measured on the dev split, in-process (3,738 passages, ~200 candidates, p50/p95 ms): BM25
0.44/2.46 by filter against 2.84/6.90 by vectors; cosine 0.21/0.27 against 6.25/16.4. The
filter is the default: it moves one score per point instead of a whole vector, and over a
network the gap can only widen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..store import IndexUnavailable, current_name
from ..vectors import HNSW_ABOVE
from . import FIELDS, PASSAGE_FIELDS, Only, check_field
from .qdrant_engines import ClientEngine, EdgeEngine, Engine, as_ids
from .qdrant_stats import Stats

ARTICLE_BASE = 1 << 40  # article points' ids: above any passage number, inside u64
COLLECTIONS = "collections"  # under QDRANT_PATH: one folder per built collection
STATS = "stats.npz"
SHARD = "shard"
SYNCING = "SYNCING"  # present while an incremental update is being applied
DEFAULT_ALIAS = "hoibao"


class QdrantBackend:
    name = "qdrant"

    def __init__(self, engine: Engine, stats: Stats, stats_path: Path, collection: str,
                 score_by: str = "filter") -> None:
        self.engine, self.stats, self.stats_path, self.collection = engine, stats, stats_path, collection
        self.score_by = score_by
        self.n_chunks = int(stats.meta["n_chunks"])  # type: ignore[call-overload]
        self.has_vectors = bool(stats.meta.get("dim"))

    def bm25_top(self, field: str, terms: list[str], k: int,
                 only: Only | None = None) -> tuple[np.ndarray, np.ndarray]:
        check_field(field, PASSAGE_FIELDS)
        ids, scores = as_ids(self.engine.sparse(field, self.stats.query_vector(field, terms), k, None, _days(only)))
        keep = (scores > 0) & (ids < self.n_chunks)  # beyond: a sync in flight added them for the next generation
        return _best_first(ids[keep], scores[keep])

    def bm25_scores(self, field: str, terms: list[str], ids: np.ndarray) -> np.ndarray:
        check_field(field, FIELDS)
        base = ARTICLE_BASE if field.startswith("article") else 0
        query = self.stats.query_vector(field, terms)
        if self.score_by == "vectors":
            weights = dict(zip(*query, strict=True))
            return self._by_vectors(field, ids, base, lambda v: sum(weights.get(i, 0.0) * x for i, x in zip(*v,
                                                                                                  strict=True)))
        return self._by_filter(ids, base, lambda want: self.engine.sparse(field, query, len(want), want))

    def idf(self, field: str, term: str) -> float:
        check_field(field, FIELDS)
        return self.stats.idf(field, term)

    def dense_top(self, qvec: np.ndarray, k: int, only: Only | None = None) -> np.ndarray:
        self._need_vectors()
        # exact below the size where the embedded index switches to HNSW, so both agree there;
        # under a period filter Qdrant's planner picks a full scan itself when few points pass
        ids, scores = as_ids(self.engine.dense(_list(qvec), k, self.n_chunks <= HNSW_ABOVE, None, _days(only)))
        keep = ids < self.n_chunks
        return _best_first(ids[keep], scores[keep])[0]

    def dense_scores(self, qvec: np.ndarray, ids: np.ndarray) -> np.ndarray:
        self._need_vectors()
        if self.score_by == "vectors":
            q = np.asarray(qvec, dtype=np.float32)
            return self._by_vectors("dense", ids, 0, lambda v: float(np.asarray(v, dtype=np.float32) @ q))
        return self._by_filter(ids, 0, lambda want: self.engine.dense(_list(qvec), len(want), True, want))

    def _by_filter(self, ids: np.ndarray, base: int, ask: Any) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        want = sorted({int(i) + base for i in ids})
        got = dict(ask(want)) if want else {}  # a passage sharing no term with the query is not returned: 0
        return np.array([got.get(int(i) + base, 0.0) for i in ids], dtype=np.float32)

    def _by_vectors(self, name: str, ids: np.ndarray, base: int, score: Any) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        vecs = self.engine.vectors(sorted({int(i) + base for i in ids}), name) if len(ids) else {}
        return np.array([score(vecs[int(i) + base]) if vecs.get(int(i) + base) is not None else 0.0
                         for i in ids], dtype=np.float32)

    def _need_vectors(self) -> None:
        if not self.stats.meta.get("dim"):
            raise ValueError(f"Qdrant collection {self.collection}: built without vectors (BM25 only)")

    def close(self) -> None:
        self.engine.close()


def _days(only: Only | None) -> tuple[int, int] | None:
    """A period filter as Qdrant applies it: an integer range on the payload's "day"."""
    return None if only is None else (only.first_day, only.last_day)


def _best_first(ids: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best first, ties by ascending id (the embedded backend's order)."""
    order = np.lexsort((ids, -scores))
    return ids[order], scores[order]


def _list(qvec: np.ndarray) -> list[float]:
    return [float(x) for x in np.asarray(qvec, dtype=np.float32)]


def edge_collection(root: Path) -> Path:
    """The live collection folder under QDRANT_PATH (named by its CURRENT file)."""
    try:
        name = current_name(root)
    except OSError as exc:
        raise IndexUnavailable(f"{root / 'CURRENT'}: unreadable ({exc})") from exc
    if name is None:
        raise IndexUnavailable(f"{root}: no Qdrant collection yet (no CURRENT); build one first")
    path = root / COLLECTIONS / name
    if not path.is_dir():
        raise IndexUnavailable(f"{path}: CURRENT names a Qdrant collection that does not exist")
    return path


def open_edge(root: Path, score_by: str = "filter", serving: QdrantBackend | None = None) -> QdrantBackend:
    """The collection QDRANT_PATH serves, on the in-process engine, refusing a damaged one.
    `serving`: the backend this process serves now; when the collection is still its own
    (after an incremental sync), its open shard is shared: one engine per shard folder."""
    path = edge_collection(root)
    if (path / SYNCING).exists():
        raise IndexUnavailable(f"{path / SYNCING}: an incremental update was interrupted; run the sync again "
                               "(it is idempotent) or rebuild")
    stats = Stats.load(path / STATS)
    shared = serving.engine if serving is not None and serving.stats_path == path / STATS else None
    try:
        engine = shared if shared is not None else EdgeEngine(path / SHARD)
    except Exception as exc:  # the binding raises plain Exception for every engine error
        raise IndexUnavailable(f"{path / SHARD}: Qdrant shard unreadable ({exc})") from exc
    points = engine.count()
    if points != stats.meta.get("points"):
        if shared is None:
            engine.close()
        raise IndexUnavailable(f"{path / SHARD}: holds {points} points, its statistics say "
                               f"{stats.meta.get('points')} (damaged or half-updated collection)")
    return QdrantBackend(engine, stats, path / STATS, path.name, score_by)


def resolve_alias(client: Any, alias: str) -> str:
    for a in client.get_aliases().aliases:
        if a.alias_name == alias:
            return str(a.collection_name)
    raise IndexUnavailable(f"Qdrant alias {alias!r} does not exist; build a collection first")


def open_server(client: Any, stats_dir: Path, alias: str = DEFAULT_ALIAS, score_by: str = "filter") -> QdrantBackend:
    """The collection an alias names on a server or cluster. The alias is resolved once,
    so queries and statistics stay on one collection until the caller reopens after a build."""
    collection = resolve_alias(client, alias)
    stats = Stats.load(stats_dir / f"{collection}.npz")
    return QdrantBackend(ClientEngine(client, collection), stats, stats_dir / f"{collection}.npz", collection,
                         score_by)


def open_backend(path: Path | None, url: str | None, api_key: str | None, alias: str = DEFAULT_ALIAS,
                 stats_dir: Path | None = None, serving: QdrantBackend | None = None) -> QdrantBackend:
    """`path` (QDRANT_PATH): the in-process engine; else `url` (QDRANT_URL, + QDRANT_API_KEY)
    a server or cluster, whose statistics are read from `stats_dir`."""
    if path is not None:
        return open_edge(path, serving=serving)
    if not url:
        raise IndexUnavailable("INDEX_BACKEND=qdrant needs QDRANT_PATH (in-process shard) or QDRANT_URL (server)")
    if stats_dir is None:
        raise IndexUnavailable("QDRANT_URL needs QDRANT_STATS_DIR (the build's BM25 statistics)")
    from qdrant_client import QdrantClient

    try:
        return open_server(QdrantClient(url=url, api_key=api_key or None), stats_dir, alias)
    except IndexUnavailable:
        raise
    except Exception as exc:  # the client raises its own errors for refused connections, 401s, timeouts
        raise IndexUnavailable(f"Qdrant at {url}: {type(exc).__name__}: {exc}") from exc
