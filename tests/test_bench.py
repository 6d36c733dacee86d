from __future__ import annotations

import json
from pathlib import Path

from index.bench import profile, run, synth
from index.text import TOKEN_RE
from tests.conftest import SAMPLE


def test_synthetic_corpus_imitates_its_source(tmp_path: Path) -> None:
    prof = profile(SAMPLE)
    assert prof["vocab"] and prof["sentence_lengths"] and prof["article_lengths"]
    n = synth(prof, 300, tmp_path / "c.jsonl", seed=3)
    lines = (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == n
    rec = json.loads(lines[0])
    assert set(rec) == {"url", "title", "text", "published", "topics"}
    words = {w.lower() for w in TOKEN_RE.findall(rec["text"])}
    assert words <= {w.lower() for w in prof["vocab"]}
    again = synth(prof, 300, tmp_path / "d.jsonl", seed=3)
    assert again == n and (tmp_path / "d.jsonl").read_text(encoding="utf-8") == "\n".join(lines) + "\n"


def test_small_benchmark_run_has_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    r = run(SAMPLE, [2000], out, None, queries=20, add_to=30)
    s = r["sizes"]["2000"]
    for key in ("articles", "chunks", "build_seconds", "chunks_per_s", "bytes_on_disk", "peak_rss_mb_build",
                "load_index_s", "load_model_s", "cold_start_s", "rss_mb_loaded", "peak_rss_mb_serving", "seconds"):
        assert key in s
    assert s["chunks"] >= 2000 * 0.8
    assert set(s["latency_ms"]) == {"bm25", "query_embedding", "vector_search", "fusion", "quote", "answer"}
    for part in s["latency_ms"].values():
        assert set(part) == {"p50", "p95", "p99"} and part["p50"] <= part["p99"]
    assert s["answer_8_askers"]["qps"] > 0 and s["answer_1_askers"]["qps"] > 0
    assert {"parse", "tokenise", "bm25", "embed", "faiss"} <= set(s["seconds"])
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["sizes"]["2000"]["chunks"] == s["chunks"]
    assert "| 2,000 |" in (out / "results.md").read_text(encoding="utf-8")
    assert (out / "latency.png").stat().st_size > 1000
    add = r["add_100"]
    assert add["base_articles"] == 30 and add["articles"] == 130
    # only the new articles' passages are embedded; the base's are reused
    assert add["passages_embedded"] == add["chunks"] - add["base_chunks"] > 0
    assert "Adding 100 articles to a 30-article index" in (out / "results.md").read_text(encoding="utf-8")


def test_backend_bench_serves_one_generation_on_both_backends(tmp_path: Path) -> None:
    """`bench --backend qdrant` at a small size: one generation, both backends answer
    from it, Qdrant's push measured in its own process, the 20 new articles found."""
    from index.bench_backends import run as run_backends

    out = tmp_path / "bb"
    r = run_backends(SAMPLE, [600], out, None, queries=8)
    emb, qd = r["sizes"]["600"]["embedded"], r["sizes"]["600"]["qdrant"]
    assert emb["chunks"] == qd["chunks"] >= 480 and emb["generation_s"] == qd["generation_s"]
    assert qd["push_s"] >= 0 and qd["qdrant_mb"] > 0 and qd["peak_rss_mb_push"] > 0 and "push_s" not in emb
    assert qd["build_s"] == round(qd["generation_s"] + qd["push_s"], 1)
    for s in (emb, qd):
        assert s["answer_1"]["p50"] <= s["answer_1"]["p99"] and s["answer_8"]["qps"] > 0
        assert s["found_first"] >= 0.9 and s["update_mode"] == "delta"  # not a full rebuild
    assert not list(out.glob("generation-*")) and not list(out.glob("qdrant-*"))  # the big folders go
    assert "| 600 | qdrant |" in (out / "backends-results.md").read_text(encoding="utf-8")
