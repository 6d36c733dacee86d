"""`python -m index bench`: build and serve synthetic corpora of N passages, and time it.

The corpus imitates a real one given as input (`bench_corpus.py`); each size is built and
served in its own process (`bench_child.py`) so peak RSS is that size's alone; the report
is `bench_report.py`'s. Passage vectors are random unit vectors; embedding throughput is
measured separately on real text.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .bench_child import _child, _pcts, _rss_mb, embed_throughput, main
from .bench_corpus import RandomEmbedder, _questions, profile, synth
from .bench_report import markdown, plot

__all__ = ["RandomEmbedder", "_child", "_pcts", "_questions", "_rss_mb", "main", "markdown", "plot", "profile",
           "run", "synth"]


def run(source: Path, sizes: list[int], out_dir: Path, model: str | None, queries: int,
        compare: Sequence[str] = (), add_to: int = 0) -> dict[str, Any]:
    """`model`: embeds the queries (None: random vectors); `compare`: more models whose
    embedding throughput to measure; `add_to`: articles in the index that 100 are added to."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prof = profile(source)
    results: dict[str, Any] = {"source": str(source), "passage_vectors": "random unit vectors (stand-in)",
                               "cpu_count": os.cpu_count(), "queries": queries, "sizes": {}}
    results["embedding"] = [embed_throughput(m, source) for m in [model, *compare] if m]
    for n in sizes:
        corpus = out_dir / f"corpus-{n}.jsonl"
        t = time.perf_counter()
        n_art = synth(prof, n, corpus, seed=n)
        gen_s = round(time.perf_counter() - t, 2)
        idx = out_dir / f"index-{n}"
        shutil.rmtree(idx, ignore_errors=True)
        built = _child(["_build", str(corpus), str(idx)])
        served = _child(["_serve", str(idx), str(corpus), model or "", str(queries)])
        results["sizes"][str(n)] = {"articles": n_art, "generate_s": gen_s, **built, **served}
        (out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if add_to:
        base, extra = out_dir / f"articles-{add_to}.jsonl", out_dir / "articles-new-100.jsonl"
        synth(prof, 0, base, seed=1, n_articles_max=add_to)
        synth(prof, 0, extra, seed=2, n_articles_max=100)
        idx = out_dir / f"index-add-{add_to}"
        shutil.rmtree(idx, ignore_errors=True)
        info = _child(["_add_base", str(base), str(idx), model or ""])
        added = _child(["_add", str(idx), model or "", str(base), str(extra)])
        results["add_100"] = {"base_articles": info["articles"], "base_chunks": info["chunks"],
                              "model": model or "random (no model given)", **added}
    (out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "results.md").write_text(markdown(results), encoding="utf-8")
    plot(results, out_dir / "latency.png")
    return results


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
