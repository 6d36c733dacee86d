"""`python -m index bench --update-sizes N ...`: how long new articles take to become
answerable in an N-article archive, against a full rebuild, while readers keep asking.

Per size, in one process that serves like the bot: a synthetic archive of one file per
article (the fetcher's layout) with random stand-in vectors stored under the real
model's name; then 20 and 100 new articles are dropped into the folder and `update` runs
in a thread (the real model embeds the new text) while the main thread answers questions
one after another; the swap (`load(previous=…)`) completes the timing. Finally a full
rebuild of the same folder (every vector and term cached) gives the ratio.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from .bench import RandomEmbedder, _child, _pcts, _questions, _rss_mb, profile, synth

BATCHES = (20, 100)
IDLE_QUESTIONS = 200


def split(corpus: Path, out: Path) -> int:
    """One JSONL file per article, 1,000 to a folder."""
    n = 0
    with corpus.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            d = out / f"{n // 1000:04d}"
            if n % 1000 == 0 or n == 1:
                d.mkdir(parents=True, exist_ok=True)
            (d / f"{n}.jsonl").write_text(line, encoding="utf-8")
    return n


def child_update_base(articles: Path, index_dir: Path, model: str) -> dict[str, Any]:
    from .build import build
    from .vectors import load_embedder

    dim = load_embedder(model).dim if model else 384
    t = time.perf_counter()
    s = build([articles], index_dir, model or RandomEmbedder.name, embedder=RandomEmbedder(dim))  # type: ignore[arg-type]
    return {"articles": s.articles, "chunks": s.chunks, "first_build_s": round(time.perf_counter() - t, 1),
            "bytes_on_disk": sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())}


def _answer_while(engine: Any, questions: list[str], busy: threading.Thread) -> list[float]:
    """Answer questions one after another until `busy` ends (at least a few)."""
    ms: list[float] = []
    i = 0
    while busy.is_alive() or len(ms) < 5:
        engine.retriever._qcache.clear()
        t = time.perf_counter()
        engine.answer(questions[i % len(questions)])
        ms.append((time.perf_counter() - t) * 1000)
        i += 1
    return ms


def _found(engine: Any, new_corpus: Path) -> float:
    """Share of new articles whose own opening words find them first."""
    lines = new_corpus.read_text(encoding="utf-8").splitlines()
    hits = 0
    for line in lines:
        rec = json.loads(line)
        ans = engine.answer(" ".join(rec["text"].split()[:12]) + "?", k=1)
        hits += bool(ans.hits) and ans.hits[0].title == rec["title"]
    return round(hits / len(lines), 3)


def child_update(articles: Path, index_dir: Path, model: str, new: list[Path], n_queries: int) -> dict[str, Any]:
    from .answer import Engine
    from .build import build
    from .generation import load
    from .update import update
    from .vectors import load_embedder

    gen = load(index_dir)
    embedder: Any = load_embedder(model) if model else RandomEmbedder(seed=1)
    engine = Engine(gen, embedder)
    questions = _corpus_questions(articles, n_queries)
    engine.answer(questions[0])
    idle = []
    for q in questions[:IDLE_QUESTIONS]:
        engine.retriever._qcache.clear()
        t = time.perf_counter()
        engine.answer(q)
        idle.append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {"idle_answer_ms": _pcts(idle), "batches": {}}
    for batch in new:
        n = split(batch, articles / f"new-{batch.stem}")
        files = frozenset(map(str, gen.manifest["files"]))  # type: ignore[call-overload]
        result: dict[str, Any] = {}

        def work(result: dict[str, Any] = result, files: frozenset[str] = files) -> None:
            result["s"] = update([articles], index_dir, model or RandomEmbedder.name, embedder=embedder,
                                 trusted=files)

        t0 = time.perf_counter()
        worker = threading.Thread(target=work)
        worker.start()
        during = _answer_while(engine, questions, worker)
        worker.join()
        t_update = time.perf_counter() - t0
        gen = load(index_dir, previous=gen)
        engine = Engine(gen, embedder)
        s = result["s"]
        out["batches"][str(n)] = {
            "answerable_s": round(time.perf_counter() - t0, 2), "update_s": round(t_update, 2),
            "mode": s.mode, "phases": s.seconds, "passages_embedded": s.embedded,
            "sentences_embedded": s.sentences_embedded, "answer_ms_during": _pcts(during),
            "answers_during": len(during), "found_first": _found(engine, batch)}
    t = time.perf_counter()
    s = build([articles], index_dir, model or RandomEmbedder.name, embedder=embedder)
    out["full_rebuild_s"] = round(time.perf_counter() - t, 1)
    out["full_rebuild_phases"] = s.seconds
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def _corpus_questions(articles: Path, n: int) -> list[str]:
    """Questions cut from the archive's own articles (as `bench` cuts them)."""
    files = sorted(articles.rglob("*.jsonl"))
    rng = np.random.default_rng(11)
    joined = articles.parent / "questions-source.jsonl"
    with joined.open("w", encoding="utf-8") as fh:
        for i in rng.choice(len(files), min(len(files), 2000), replace=False):
            fh.write(files[int(i)].read_text(encoding="utf-8"))
    return _questions(joined, n)


def run(source: Path, sizes: list[int], out_dir: Path, model: str | None, queries: int) -> dict[str, Any]:
    prof = profile(source)
    results: dict[str, Any] = {"model": model or "random (no model given)", "sizes": {}}
    for n in sizes:
        work = out_dir / f"update-{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        synth(prof, 0, work / "archive.jsonl", seed=n, n_articles_max=n)
        split(work / "archive.jsonl", work / "articles")
        new = []
        for b in BATCHES:
            synth(prof, 0, work / f"{b}.jsonl", seed=n + b, n_articles_max=b)
            new.append(work / f"{b}.jsonl")
        base = _child(["_update_base", str(work / "articles"), str(work / "index"), model or ""])
        upd = _child(["_update", str(work / "articles"), str(work / "index"), model or "", str(queries),
                      *map(str, new)])
        results["sizes"][str(n)] = {**base, **upd}
        (out_dir / "update-results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (out_dir / "update-results.md").write_text(markdown(results), encoding="utf-8")
    return results


def markdown(r: dict[str, Any]) -> str:
    rows = [f"Incremental updates (model {r['model']}; fetch time excluded):", "",
            "| archive articles | passages | new articles | answerable after s | update s | full rebuild s | "
            "update / rebuild | answer p95 idle ms | answer p95 during ms | found first |", "|" + "---|" * 10]
    for n, s in r["sizes"].items():
        for b, u in s["batches"].items():
            rows.append(f"| {int(n):,} | {s['chunks']:,} | {b} | {u['answerable_s']} | {u['update_s']} | "
                        f"{s['full_rebuild_s']} | {u['answerable_s'] / s['full_rebuild_s']:.1%} | "
                        f"{s['idle_answer_ms']['p95']} | {u['answer_ms_during']['p95']} | {u['found_first']} |")
    rows += ["", "Update phases (s):", ""]
    rows += [f"- {int(n):,} + {b}: " + ", ".join(f"{k} {v}" for k, v in u["phases"].items())
             for n, s in r["sizes"].items() for b, u in s["batches"].items()]
    return "\n".join(rows) + "\n"
