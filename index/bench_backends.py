"""`python -m index bench --backend qdrant`: the embedded index and the Qdrant backend (the
real engine in-process, `qdrant-edge-py`) side by side on the same synthetic corpora.

Per size, in child processes (`bench_child._child`, so each peak RSS is its own): the
generation, built once (both backends serve the same files: each takes a hard-linked copy
of the index; the articles folder is shared), for Qdrant then the push into a new
collection, disk, then per backend serving — load, answer() latency with one and eight
askers, RSS — and the time for 20 new articles to become answerable (update, for Qdrant the
push of the delta, then the swap). Both backends run the same code here; passage vectors
are random stand-ins, as in `bench`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .bench_child import _child, _pcts, _rss_mb
from .bench_corpus import RandomEmbedder, _questions, profile, synth
from .bench_update import _found, split

BACKENDS = ("embedded", "qdrant")
NEW = 20


def _settings(index_dir: Path, backend: str, qroot: Path) -> Any:
    from .settings import IndexSettings, QdrantSettings

    return IndexSettings(index_dir, index_dir, None, backend,
                         QdrantSettings(path=qroot if backend == "qdrant" else None))


def _disk(path: Path) -> int:
    """Bytes allocated (Qdrant preallocates sparse files: their apparent size overstates)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def child_build(articles: Path, index_dir: Path) -> dict[str, Any]:
    """The generation both backends serve (built once: the same files either way)."""
    from .build import build

    t = time.perf_counter()
    s = build([articles], index_dir, RandomEmbedder.name, embedder=RandomEmbedder())  # type: ignore[arg-type]
    return {"articles": s.articles, "chunks": s.chunks, "generation_s": round(time.perf_counter() - t, 1),
            "index_mb": round(_disk(index_dir) / 1e6, 1), "peak_rss_mb_build": round(_rss_mb(), 1)}


def child_push(index_dir: Path, qroot: Path) -> dict[str, Any]:
    """The generation pushed into a new in-process collection, in a process of its own."""
    from .backends.serve import push_live

    t = time.perf_counter()
    out: dict[str, Any] = {"push": push_live(_settings(index_dir, "qdrant", qroot))}
    out.update(push_s=round(time.perf_counter() - t, 1), qdrant_mb=round(_disk(qroot) / 1e6, 1),
               peak_rss_mb_push=round(_rss_mb(), 1))
    return out


def _linked(src: Path, dst: Path) -> None:
    """A copy of an index folder made of hard links: generations are never written in place
    (a build or update writes a new one and replaces CURRENT), so each backend can take
    its own steps from the same files without 10 GB copies at 1M passages."""
    shutil.copytree(src, dst, copy_function=os.link)


def _latencies(engine: Any, questions: list[str], workers: int) -> dict[str, float]:
    def one(q: str) -> float:
        engine.retriever._qcache.clear()
        t = time.perf_counter()
        engine.answer(q)
        return (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        ms = list(pool.map(one, questions))
    return {**_pcts(ms), "qps": round(len(ms) / (time.perf_counter() - t), 1)}


def child_serve(index_dir: Path, backend: str, qroot: Path, corpus: Path, model: str | None, n_queries: int,
                new: Path, articles: Path) -> dict[str, Any]:
    from .backends.serve import load_index, push_live
    from .engine import Engine
    from .update import update
    from .vectors import load_embedder

    env = _settings(index_dir, backend, qroot)
    t = time.perf_counter()
    gen, be = load_index(env, None)
    out: dict[str, Any] = {"load_s": round(time.perf_counter() - t, 2), "rss_mb_loaded": round(_rss_mb("VmRSS"), 1)}
    embedder: Any = load_embedder(model) if model else RandomEmbedder(seed=1)
    engine = Engine(gen, embedder, backend=be)
    engine.retriever.embedder = embedder
    questions = _questions(corpus, n_queries)
    engine.answer(questions[0])  # one-off allocations, as in any warm server
    out["answer_1"] = _latencies(engine, questions, 1)
    out["answer_8"] = _latencies(engine, questions, 8)
    out["peak_rss_mb_serving"] = round(_rss_mb(), 1)
    split(new, articles / "new-20")
    t0 = time.perf_counter()
    s = update([articles], index_dir, RandomEmbedder.name, embedder=RandomEmbedder(seed=2))  # type: ignore[arg-type]
    out["update_s"] = round(time.perf_counter() - t0, 2)
    if backend == "qdrant":
        out["push"] = push_live(env, serving=be)
    gen, be = load_index(env, None, previous=gen, serving=be)
    engine = Engine(gen, embedder, backend=be)
    out.update(answerable_s=round(time.perf_counter() - t0, 2), update_mode=s.mode, found_first=_found(engine, new))
    return out


def run(source: Path, sizes: list[int], out_dir: Path, model: str | None, queries: int) -> dict[str, Any]:
    prof = profile(source)
    results: dict[str, Any] = {"source": str(source), "passage_vectors": "random unit vectors (stand-in)",
                               "queries": queries, "model": model or "random (no model given)", "sizes": {}}
    for n in sizes:
        corpus, new = out_dir / f"corpus-{n}.jsonl", out_dir / f"new-{n}.jsonl"
        out_dir.mkdir(parents=True, exist_ok=True)
        synth(prof, n, corpus, seed=n)
        synth(prof, 0, new, seed=n + NEW, n_articles_max=NEW)
        results["sizes"][str(n)] = {}
        shared = out_dir / f"generation-{n}"
        shutil.rmtree(shared, ignore_errors=True)
        split(corpus, shared / "articles")
        built = _child(["_bk_build", str(shared / "articles"), str(shared / "index")])
        for backend in BACKENDS:
            work = out_dir / f"{backend}-{n}"
            shutil.rmtree(work, ignore_errors=True)
            _linked(shared / "index", work / "index")
            pushed = _child(["_bk_push", str(work / "index"), str(work / "qdrant")]) if backend == "qdrant" else {}
            # the articles stay where the generation's listing says they are (else the update
            # sees other folders and rebuilds in full); each backend's 20 new ones go after it
            served = _child(["_bk_serve", str(work / "index"), backend, str(work / "qdrant"), str(corpus), model or "",
                             str(queries), str(new), str(shared / "articles")])
            shutil.rmtree(shared / "articles" / "new-20")
            build_s = round(built["generation_s"] + pushed.get("push_s", 0.0), 1)
            results["sizes"][str(n)][backend] = {**built, "qdrant_mb": 0.0, **pushed, "build_s": build_s, **served}
            (out_dir / "backends-results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(shared, ignore_errors=True)
    (out_dir / "backends-results.md").write_text(markdown(results), encoding="utf-8")
    return results


def markdown(r: dict[str, Any]) -> str:
    rows = ["| passages | backend | build s (generation + push) | disk MB (index + Qdrant) | "
            "peak RSS MB generation / push | load s | serving RSS MB loaded / peak | answer() p50 / p95 ms (qps) | "
            "8 askers p95 ms (qps) | "
            f"{NEW} new articles answerable s | found first |", "|" + "---|" * 11]
    for n, by in r["sizes"].items():
        for b, s in by.items():
            a1, a8 = s["answer_1"], s["answer_8"]
            rows.append(f"| {int(n):,} | {b} | {s['build_s']} ({s['generation_s']} + {s.get('push_s', 0)}) | "
                        f"{s['index_mb'] + s['qdrant_mb']:,.0f} ({s['index_mb']:,.0f} + {s['qdrant_mb']:,.0f}) | "
                        f"{s['peak_rss_mb_build']:,.0f} / {s.get('peak_rss_mb_push', 0):,.0f} | "
                        f"{s['load_s']} | {s['rss_mb_loaded']:,.0f} / "
                        f"{s['peak_rss_mb_serving']:,.0f} | {a1['p50']} / {a1['p95']} ({a1['qps']}) | "
                        f"{a8['p95']} ({a8['qps']}) | {s['answerable_s']} | {s['found_first']} |")
    return "\n".join(rows) + "\n"


def main_step(argv: list[str]) -> dict[str, Any]:
    """The child steps (`python -m index.bench _bk_build|_bk_serve ...`)."""
    if argv[0] == "_bk_build":
        return child_build(Path(argv[1]), Path(argv[2]))
    if argv[0] == "_bk_push":
        return child_push(Path(argv[1]), Path(argv[2]))
    return child_serve(Path(argv[1]), argv[2], Path(argv[3]), Path(argv[4]), argv[5] or None, int(argv[6]),
                       Path(argv[7]), Path(argv[8]))
