"""The child processes of `python -m index bench`: each size is built and served in its
own process, so peak RSS is that size's alone; the last stdout line is its JSON."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .articles import read_articles
from .bench_corpus import RandomEmbedder, _questions


def _rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident size of this process in MB. Not
    ru_maxrss: Linux carries it across exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pcts(ms: list[float]) -> dict[str, float]:
    a = np.array(ms)
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "p99": round(float(np.percentile(a, 99)), 2)}


def child_build(corpus: Path, index_dir: Path) -> dict[str, Any]:
    from .build import build

    t = time.perf_counter()
    s = build([corpus], index_dir, RandomEmbedder.name, embedder=RandomEmbedder())  # type: ignore[arg-type]
    total = time.perf_counter() - t
    size = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
    return {"articles": s.articles, "chunks": s.chunks, "sentences": s.sentences_embedded, "seconds": s.seconds,
            "build_seconds": round(total, 2), "chunks_per_s": round(s.chunks / total, 1),
            "bytes_on_disk": size, "peak_rss_mb_build": round(_rss_mb(), 1)}


def _timed(fn: Callable[[Any], object], items: Sequence[Any]) -> list[float]:
    ms = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        ms.append((time.perf_counter() - t) * 1000)
    return ms


def child_serve(index_dir: Path, corpus: Path, model: str | None, n_queries: int) -> dict[str, Any]:
    """Load like the bot does, then time each step in its own loop over the same
    questions (interleaving them made each pay for the others' idle threads)."""
    from .engine import Engine
    from .generation import load
    from .vectors import load_embedder

    t = time.perf_counter()
    gen = load(index_dir)
    load_index = time.perf_counter() - t
    rss_loaded = _rss_mb("VmRSS")
    t = time.perf_counter()
    embedder: Any = load_embedder(model) if model else RandomEmbedder(seed=1)
    load_model = time.perf_counter() - t
    from .rerank import load_reranker

    # the cross-encoder the bot would serve (RERANKER_MODEL, else models/reranker): its cost is the answer's
    engine = Engine(gen, embedder, reranker=load_reranker(os.environ.get("RERANKER_MODEL")))
    engine.retriever.embedder = embedder
    questions = _questions(corpus, n_queries)
    engine.answer(questions[0])  # first call pays one-off allocations, as any warm server has
    parts = _step_latencies(engine, embedder, questions)
    out: dict[str, Any] = {"load_index_s": round(load_index, 2), "load_model_s": round(load_model, 2),
                           "cold_start_s": round(load_index + load_model, 2), "rss_mb_loaded": round(rss_loaded, 1),
                           "latency_ms": {k: _pcts(v) for k, v in parts.items()}}
    for workers in (1, 8):
        def one(qtext: str) -> float:
            t = time.perf_counter()
            engine.answer(qtext)
            return (time.perf_counter() - t) * 1000

        engine.retriever._qcache.clear()
        t = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            ms = list(pool.map(one, questions))
        out[f"answer_{workers}_askers"] = {**_pcts(ms), "qps": round(len(ms) / (time.perf_counter() - t), 1)}
    out["peak_rss_mb_serving"] = round(_rss_mb(), 1)
    out["query_embedding"] = model or "random (no model given)"
    out["reranker"] = str(engine.reranker.folder) if engine.reranker is not None else "none"
    out["ann"] = "hnsw" if gen.faiss_index is not None else "exact"
    return out


def _step_latencies(engine: Any, embedder: Any, questions: list[str]) -> dict[str, list[float]]:
    """Each step of an answer timed in its own loop: BM25, query embedding, vector
    search, fusion, quote choice, then whole answers (each paying its embedding)."""
    from .vectors import nearest

    gen, retriever = engine.gen, engine.retriever
    parsed = [engine._parse(q, None) for q in questions]
    vectors = [embedder.query(q) for q in questions]
    emb_matrix = gen.embeddings
    assert emb_matrix is not None

    def bm25(q: Any) -> None:
        gen.passage_field(q.accented).scores(q.terms)
        gen.article_field(q.accented).scores(q.terms)

    def fused(q: Any) -> Any:
        return retriever.search(q, 5)

    for q, vec in zip(questions, vectors, strict=True):
        retriever._qcache[q] = vec  # fusion alone: the query vector is cached
    results = [fused(q) for q in parsed]
    hits = [(text, q, r.candidates[:engine.tuning.rerank_depth], r.query_vector)
            for text, r, q in zip(questions, results, parsed, strict=True) if r.candidates]
    parts = {
        "bm25": _timed(bm25, parsed),
        "query_embedding": _timed(embedder.query, questions),
        "vector_search": _timed(lambda v: nearest(emb_matrix, gen.faiss_index, v, 100), vectors),
        "fusion": _timed(fused, parsed),
        # the articles' order and quotes, the cross-encoder included
        "quote": _timed(lambda h: engine._hits(*h), hits),
    }

    def answer(q: str) -> None:
        retriever._qcache.clear()  # each answer pays for its query embedding
        engine.answer(q)

    parts["answer"] = _timed(answer, questions)
    return parts


def embed_throughput(model: str, source: Path, n: int = 512) -> dict[str, Any]:
    from .chunks import chunk_article, passage_text
    from .vectors import load_embedder

    arts = read_articles([source]).articles
    passages = [passage_text(a, c) for i, a in enumerate(arts) for c in chunk_article(a, i)][:n]
    emb = load_embedder(model)
    emb.passages(passages[:8])
    t = time.perf_counter()
    emb.passages(passages)
    secs = time.perf_counter() - t
    return {"model": model, "passages": len(passages), "passages_per_s": round(len(passages) / secs, 1)}


def child_incremental_base(corpus: Path, index_dir: Path, model: str) -> dict[str, Any]:
    """The 10k-article index an admin adds to. Its vectors are random stand-ins stored
    under the real model's name, so the timed rebuild reuses them as it would real ones."""
    from .build import build
    from .vectors import load_embedder

    dim = load_embedder(model).dim if model else 384
    s = build([corpus], index_dir, model or RandomEmbedder.name, embedder=RandomEmbedder(dim))  # type: ignore[arg-type]
    return {"articles": s.articles, "chunks": s.chunks}


def child_incremental_add(paths: list[Path], index_dir: Path, model: str) -> dict[str, Any]:
    """Rebuild with the new articles, end to end: model load, parse, BM25, embedding of the
    new passages and sentences only, write, publish."""
    from .build import build

    t = time.perf_counter()
    embedder = None if model else RandomEmbedder()
    s = build(paths, index_dir, model or RandomEmbedder.name, embedder=embedder)  # type: ignore[arg-type]
    return {"seconds_total": round(time.perf_counter() - t, 2), "articles": s.articles, "chunks": s.chunks,
            "passages_embedded": s.embedded, "sentences_embedded": s.sentences_embedded, "phases": s.seconds,
            "peak_rss_mb": round(_rss_mb(), 1)}


def _child(args: list[str]) -> dict[str, Any]:
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "index.bench", *args], capture_output=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench step {args[0]} failed: {out.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    """Child steps of `run`, each in its own process; the last stdout line is its JSON."""
    if argv[0] == "_build":
        result = child_build(Path(argv[1]), Path(argv[2]))
    elif argv[0] == "_serve":
        result = child_serve(Path(argv[1]), Path(argv[2]), argv[3] or None, int(argv[4]))
    elif argv[0] == "_add_base":
        result = child_incremental_base(Path(argv[1]), Path(argv[2]), argv[3])
    elif argv[0] == "_add":
        result = child_incremental_add([Path(a) for a in argv[3:]], Path(argv[1]), argv[2])
    elif argv[0] in ("_bk_build", "_bk_push", "_bk_serve"):
        from .bench_backends import main_step

        result = main_step(argv)
    elif argv[0] in ("_update_base", "_update"):
        from .bench_update import child_update, child_update_base

        result = child_update_base(Path(argv[1]), Path(argv[2]), argv[3]) if argv[0] == "_update_base" else \
            child_update(Path(argv[1]), Path(argv[2]), argv[3], [Path(a) for a in argv[5:]], int(argv[4]))
    else:
        raise SystemExit(f"unknown bench step {argv[0]!r}")
    sys.stdout.write(json.dumps(result) + "\n")
    return 0
