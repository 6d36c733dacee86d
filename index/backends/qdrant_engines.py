"""The same few Qdrant calls on two engines: `qdrant-edge-py` (the real engine in-process,
one shard on disk) and `qdrant-client` (a server or cluster). The backend speaks to an
`Engine` only, so what is tested on the edge shard is what a cluster is asked.

Points are plain tuples here (id, vectors, payload); each engine makes its own types.
Sparse vectors are (indices, values); a dense vector is a list of floats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

SparseData = tuple[list[int], list[float]]
PointData = tuple[int, dict[str, Any], dict[str, Any]]
Hit = tuple[int, float]  # point id, score
DENSE = "dense"
SPARSE_NAMES = ("exact", "folded", "article_exact", "article_folded")
# "day": the publication day as a proleptic ordinal (`filters.article_days`), absent when
# undated: the period filter, as an integer range, compares exactly what the embedded index does
INDEXED_PAYLOAD = {"published": "datetime", "topics": "keyword", "article": "integer", "day": "integer"}
Days = tuple[int, int]  # first and last publication day ordinals a period allows (undated pass too)


class Engine(Protocol):
    def upsert(self, points: list[PointData]) -> None: ...
    def delete(self, ids: list[int]) -> None: ...
    def sparse(self, name: str, query: SparseData, k: int, ids: list[int] | None = None,
               days: Days | None = None) -> list[Hit]: ...
    def dense(self, qvec: list[float], k: int, exact: bool, ids: list[int] | None = None,
              days: Days | None = None) -> list[Hit]: ...
    def vectors(self, ids: list[int], name: str) -> dict[int, Any]: ...
    def count(self) -> int: ...
    def finish(self) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class EdgeEngine:
    """One edge shard directory, opened in this process."""

    def __init__(self, path: Path, dim: int | None = None, create: bool = False, ann: bool = True) -> None:
        """`ann`: build an HNSW graph of the passage vectors; without (m=0), dense search is
        exact, as the embedded index's below vectors.HNSW_ABOVE passages — and the build skips
        the graph, most of its time (10k passages: 113 of 130 s)."""
        import qdrant_edge as qe

        self.qe = qe
        if create:
            hnsw = None if ann else qe.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000)
            dense = {DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine, hnsw_config=hnsw)} \
                if dim else None
            # No Modifier.Idf: the query carries our corpus-wide idf (see qdrant.py)
            sparse = {n: qe.EdgeSparseVectorParams() for n in SPARSE_NAMES}
            # No WAL: a build is made durable by flush + fsync before it is switched to, and
            # an interrupted sync is caught by its marker; the WAL only doubled the disk.
            self.shard = qe.EdgeShard.create(str(path), qe.EdgeConfig(vectors=dense, sparse_vectors=sparse,
                                                                      wal_enabled=False))
            kinds = {"datetime": qe.PayloadSchemaType.Datetime, "keyword": qe.PayloadSchemaType.Keyword,
                     "integer": qe.PayloadSchemaType.Integer}
            for key, kind in INDEXED_PAYLOAD.items():
                self.shard.update(qe.UpdateOperation.create_field_index(key, kinds[kind]))
        else:
            self.shard = qe.EdgeShard.load(str(path))

    def _vec(self, v: Any) -> Any:
        return self.qe.SparseVector(v[0], v[1]) if isinstance(v, tuple) else v

    def upsert(self, points: list[PointData]) -> None:
        self.shard.update(self.qe.UpdateOperation.upsert_points(
            [self.qe.Point(i, {n: self._vec(v) for n, v in vec.items()}, pay) for i, vec, pay in points]))

    def delete(self, ids: list[int]) -> None:
        if ids:
            self.shard.update(self.qe.UpdateOperation.delete_points(_pids(ids)))

    def _filter(self, ids: list[int] | None, days: Days | None) -> Any:
        if ids is None and days is None:
            return None
        qe = self.qe
        return qe.Filter(must=None if ids is None else [qe.HasIdCondition(set(ids))],
                         should=None if days is None else [
                             qe.FieldCondition("day", range=qe.RangeFloat(gte=days[0], lte=days[1])),
                             qe.IsEmptyCondition("day")])

    def sparse(self, name: str, query: SparseData, k: int, ids: list[int] | None = None,
               days: Days | None = None) -> list[tuple[int, float]]:
        if not query[0] or k <= 0:
            return []
        req = self.qe.QueryRequest(limit=k, query=self.qe.Query.Nearest(self.qe.SparseVector(*query), using=name),
                                   filter=self._filter(ids, days))
        return [(int(p.id), float(p.score)) for p in self.shard.query(req)]

    def dense(self, qvec: list[float], k: int, exact: bool, ids: list[int] | None = None,
              days: Days | None = None) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        req = self.qe.QueryRequest(limit=k, query=self.qe.Query.Nearest(qvec, using=DENSE),
                                   filter=self._filter(ids, days), params=self.qe.SearchParams(exact=exact))
        return [(int(p.id), float(p.score)) for p in self.shard.query(req)]

    def vectors(self, ids: list[int], name: str) -> dict[int, Any]:
        out = {}
        for r in self.shard.retrieve(_pids(ids), False, [name]):
            v = (r.vector or {}).get(name)  # type: ignore[union-attr]
            out[int(r.id)] = (v.indices, v.values) if isinstance(v, self.qe.SparseVector) else v
        return out

    def count(self) -> int:
        return int(self.shard.info().points_count)

    def finish(self) -> None:
        """Merge the build's small segments and index them, then make it durable."""
        self.shard.optimize()
        self.shard.flush()

    def flush(self) -> None:
        """Make an incremental update durable without merging it into the archive's segment:
        optimize() would rebuild that segment's index (100k passages: ~20 s of a 26 s sync)."""
        self.shard.flush()

    def close(self) -> None:
        self.shard.close()


class ClientEngine:
    """A collection (or alias) on a Qdrant server or cluster, through qdrant-client."""

    def __init__(self, client: Any, collection: str) -> None:
        from qdrant_client import models

        self.client, self.collection, self.m = client, collection, models

    def create(self, dim: int | None, shards: int = 1, replicas: int = 1, ann: bool = True) -> None:
        m = self.m
        hnsw = None if ann else m.HnswConfigDiff(m=0)  # exact below HNSW_ABOVE passages, as EdgeEngine
        dense = {DENSE: m.VectorParams(size=dim, distance=m.Distance.COSINE, hnsw_config=hnsw)} if dim else {}
        self.client.create_collection(
            self.collection, vectors_config=dense, shard_number=shards, replication_factor=replicas,
            sparse_vectors_config={n: m.SparseVectorParams() for n in SPARSE_NAMES})
        kinds = {"datetime": m.PayloadSchemaType.DATETIME, "keyword": m.PayloadSchemaType.KEYWORD,
                 "integer": m.PayloadSchemaType.INTEGER}
        for key, kind in INDEXED_PAYLOAD.items():
            self.client.create_payload_index(self.collection, key, kinds[kind])

    def _vec(self, v: Any) -> Any:
        return self.m.SparseVector(indices=v[0], values=v[1]) if isinstance(v, tuple) else v

    def upsert(self, points: list[PointData]) -> None:
        self.client.upsert(self.collection, [self.m.PointStruct(id=i, vector={n: self._vec(v) for n, v in vec.items()},
                                                                payload=pay) for i, vec, pay in points])

    def delete(self, ids: list[int]) -> None:
        if ids:
            self.client.delete(self.collection, points_selector=self.m.PointIdsList(points=_pids(ids)))

    def _query(self, query: Any, using: str, k: int, ids: list[int] | None, exact: bool,
               days: Days | None) -> list[tuple[int, float]]:
        m = self.m
        flt = None if ids is None and days is None else m.Filter(
            must=None if ids is None else [m.HasIdCondition(has_id=_pids(ids))],
            should=None if days is None else [
                m.FieldCondition(key="day", range=m.Range(gte=days[0], lte=days[1])),
                m.IsEmptyCondition(is_empty=m.PayloadField(key="day"))])
        res = self.client.query_points(self.collection, query=query, using=using, limit=k, query_filter=flt,
                                       search_params=self.m.SearchParams(exact=exact))
        return [(int(p.id), float(p.score)) for p in res.points]

    def sparse(self, name: str, query: SparseData, k: int, ids: list[int] | None = None,
               days: Days | None = None) -> list[tuple[int, float]]:
        if not query[0] or k <= 0:
            return []
        return self._query(self.m.SparseVector(indices=query[0], values=query[1]), name, k, ids, False, days)

    def dense(self, qvec: list[float], k: int, exact: bool, ids: list[int] | None = None,
              days: Days | None = None) -> list[tuple[int, float]]:
        return self._query(qvec, DENSE, k, ids, exact, days) if k > 0 else []

    def vectors(self, ids: list[int], name: str) -> dict[int, Any]:
        out = {}
        for r in self.client.retrieve(self.collection, ids, with_payload=False, with_vectors=[name]):
            v = (r.vector or {}).get(name)
            out[int(r.id)] = (v.indices, v.values) if isinstance(v, self.m.SparseVector) else v
        return out

    def count(self) -> int:
        return int(self.client.count(self.collection, exact=True).count)

    def finish(self) -> None:
        return None  # a server indexes in the background; upserts were sent with wait=True

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None  # the client is the caller's


def _pids(ids: list[int]) -> list[Any]:
    return list(ids)  # the bindings type ids as int | UUID | str, and list is invariant


def as_ids(hits: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([h[0] for h in hits], dtype=np.int64), np.array([h[1] for h in hits], dtype=np.float32))
