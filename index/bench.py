"""`python -m index bench`: build and serve synthetic corpora of N passages, and time it.

The corpus imitates a real one given as input: its syllable vocabulary drawn with
Zipfian frequencies, its sentence and article lengths. Each size is built and
served in its own process so peak RSS is that size's alone. Passage vectors are
random unit vectors (a real model at 1M passages would take days on 2 cores; the
output says so); embedding throughput is measured separately on real text.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .articles import read_articles
from .chunks import article_sentences
from .text import TOKEN_RE, nfc

ZIPF_S = 1.07
TOPICS = ["Chuyển đổi số", "Kinh tế", "Nông nghiệp", "Giáo dục", "Y tế", "Văn hóa", "Giao thông", "Xã hội"]


class RandomEmbedder:
    """Stands in for the model when timing builds: seeded random unit vectors."""

    name = "random-unit-vectors"

    def __init__(self, dim: int = 384, seed: int = 0) -> None:
        self.dim = dim
        self.rng = np.random.default_rng(seed)

    def _unit(self, n: int) -> np.ndarray:
        v = self.rng.standard_normal((n, self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if progress:
            progress(len(texts))
        return self._unit(len(texts))

    def query(self, text: str) -> np.ndarray:
        return self._unit(1)[0]


def profile(source: Path) -> dict[str, Any]:
    """Vocabulary with counts, sentence lengths (tokens) and article lengths (sentences)."""
    arts = read_articles([source]).articles
    vocab: Counter[str] = Counter()
    sent_lens, art_lens = [], []
    for a in arts:
        spans = article_sentences(a.text)
        art_lens.append(len(spans))
        for s, e in spans:
            toks = TOKEN_RE.findall(nfc(a.text[s:e]))
            vocab.update(toks)
            sent_lens.append(len(toks))
    return {"vocab": [w for w, _ in vocab.most_common()], "sentence_lengths": sent_lens, "article_lengths": art_lens}


def synth(prof: dict[str, Any], n_chunks: int, out: Path, seed: int = 0, n_articles_max: int | None = None) -> int:
    """Write a JSONL corpus of about `n_chunks` passages (or exactly `n_articles_max`
    articles); returns the article count."""
    rng = np.random.default_rng(seed)
    vocab = prof["vocab"]
    p = 1.0 / np.arange(1, len(vocab) + 1) ** ZIPF_S
    p /= p.sum()
    sent_lens = np.array(prof["sentence_lengths"])
    art_lens = np.array(prof["article_lengths"])
    chunks = n_articles = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        while (chunks < n_chunks) if n_articles_max is None else (n_articles < n_articles_max):
            n_sent = max(2, int(rng.choice(art_lens)))
            lens = np.maximum(4, rng.choice(sent_lens, n_sent))
            words = rng.choice(len(vocab), size=int(lens.sum()) + 10, p=p)
            pos, sents = 10, []
            for n in lens:
                toks = [vocab[i] for i in words[pos:pos + n]]
                pos += n
                sents.append(toks[0][:1].upper() + toks[0][1:] + " " + " ".join(toks[1:]) + ".")
            paras = ["\n\n".join(" ".join(sents[i:i + 3]) for i in range(0, len(sents), 3))]
            title = " ".join(vocab[i] for i in words[:10]).capitalize()
            day = int(rng.integers(0, 3650))
            rec = {"url": f"https://bench.example/{seed}/{n_articles}", "title": title, "text": paras[0],
                   "published": time.strftime("%Y-%m-%d", time.gmtime(1.5e9 + day * 86400)),
                   "topics": [TOPICS[int(rng.integers(len(TOPICS)))]]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n_articles += 1
            chunks += max(1, (n_sent - 1 + 1) // 2)
    return n_articles


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


def _questions(corpus: Path, n: int) -> list[str]:
    """Questions cut from random articles of the corpus: 5–9 consecutive words."""
    rng = np.random.default_rng(7)
    with corpus.open(encoding="utf-8") as fh:
        lines = fh.readlines()
    out = []
    for i in rng.choice(len(lines), n):
        toks = TOKEN_RE.findall(json.loads(lines[int(i)])["text"])
        start = int(rng.integers(0, max(1, len(toks) - 8)))
        out.append(" ".join(toks[start:start + int(rng.integers(5, 10))]) + "?")
    return out


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
    from .answer import Engine
    from .generation import load
    from .query import parse
    from .vectors import load_embedder, nearest

    t = time.perf_counter()
    gen = load(index_dir)
    load_index = time.perf_counter() - t
    rss_loaded = _rss_mb("VmRSS")
    t = time.perf_counter()
    embedder: Any = load_embedder(model) if model else RandomEmbedder(seed=1)
    load_model = time.perf_counter() - t
    engine = Engine(gen, embedder)
    engine.retriever.embedder = embedder
    retriever = engine.retriever
    questions = _questions(corpus, n_queries)
    engine.answer(questions[0])  # first call pays one-off allocations, as any warm server has
    parsed = [parse(q, gen.analyzer, gen.lexicon, True) for q in questions]
    vectors = [embedder.query(q) for q in questions]
    emb_matrix = gen.embeddings
    assert emb_matrix is not None

    def bm25(q: Any) -> None:
        (gen.exact if q.accented else gen.folded).scores(q.terms)
        (gen.article_exact if q.accented else gen.article_folded).scores(q.terms)

    def fused(q: Any) -> Any:
        return retriever.search(q, 5)

    for q, vec in zip(questions, vectors, strict=True):
        retriever._qcache[q] = vec  # fusion alone: the query vector is cached
    results = [fused(q) for q in parsed]
    hits = [(r.candidates[0], q, r.query_vector) for r, q in zip(results, parsed, strict=True) if r.candidates]
    parts = {
        "bm25": _timed(bm25, parsed),
        "query_embedding": _timed(embedder.query, questions),
        "vector_search": _timed(lambda v: nearest(emb_matrix, gen.faiss_index, v, 100), vectors),
        "fusion": _timed(fused, parsed),
        "quote": _timed(lambda h: engine._hit(h[0], h[1], {t: gen.exact.idf(t) for t in h[1].terms}, h[2]), hits),
    }
    retriever._qcache.clear()

    def answer(q: str) -> None:
        retriever._qcache.clear()  # each answer pays for its query embedding
        engine.answer(q)

    parts["answer"] = _timed(answer, questions)
    out: dict[str, Any] = {"load_index_s": round(load_index, 2), "load_model_s": round(load_model, 2),
                           "cold_start_s": round(load_index + load_model, 2), "rss_mb_loaded": round(rss_loaded, 1),
                           "latency_ms": {k: _pcts(v) for k, v in parts.items()}}
    for workers in (1, 8):
        def one(qtext: str) -> float:
            t = time.perf_counter()
            engine.answer(qtext)
            return (time.perf_counter() - t) * 1000

        retriever._qcache.clear()
        t = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            ms = list(pool.map(one, questions))
        out[f"answer_{workers}_askers"] = {**_pcts(ms), "qps": round(len(ms) / (time.perf_counter() - t), 1)}
    out["peak_rss_mb_serving"] = round(_rss_mb(), 1)
    out["query_embedding"] = model or "random (no model given)"
    out["ann"] = "hnsw" if gen.faiss_index is not None else "exact"
    return out


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


STEPS = ("bm25", "query_embedding", "vector_search", "fusion", "quote", "answer")


def markdown(r: dict[str, Any]) -> str:
    rows = ["| passages | articles | build s | passages/s | disk MB | build peak RSS MB | load index s | load model s "
            "| cold start s | serving peak RSS MB | answer() 1 asker p50/p95/p99 ms (qps) | 8 askers p95 ms (qps) |",
            "|" + "---|" * 12]
    for n, s in r["sizes"].items():
        a, c8 = s["latency_ms"]["answer"], s["answer_8_askers"]
        rows.append(f"| {int(n):,} | {s['articles']:,} | {s['build_seconds']} | {s['chunks_per_s']} | "
                    f"{s['bytes_on_disk'] / 1e6:,.0f} | {s['peak_rss_mb_build']:,.0f} | {s['load_index_s']} | "
                    f"{s['load_model_s']} | {s['cold_start_s']} | {s['peak_rss_mb_serving']:,.0f} | "
                    f"{a['p50']} / {a['p95']} / {a['p99']} ({s['answer_1_askers']['qps']}) | "
                    f"{c8['p95']} ({c8['qps']}) |")
    rows += ["", f"Per step, p50 / p95 / p99 ms over {r.get('queries', '?')} questions, each step in its own loop:", "",
             "| passages | ann | " + " | ".join(STEPS) + " |", "|" + "---|" * (len(STEPS) + 2)]
    for n, s in r["sizes"].items():
        lat = s["latency_ms"]
        rows.append(f"| {int(n):,} | {s.get('ann', '?')} | "
                    + " | ".join(f"{lat[k]['p50']} / {lat[k]['p95']} / {lat[k]['p99']}" for k in STEPS) + " |")
    rows += ["", "Build phases (s):", ""]
    rows += [f"- {int(n):,}: " + ", ".join(f"{k} {v}" for k, v in s["seconds"].items()) for n, s in r["sizes"].items()]
    for emb in r.get("embedding", []):
        rows.append(f"\nEmbedding throughput, {emb['model']}: {emb['passages_per_s']} passages/s "
                    f"({emb['passages']} dev passages).")
    add = r.get("add_100")
    if add:
        rows.append(f"\nAdding 100 articles to a {add['base_articles']:,}-article index ({add['base_chunks']:,} "
                    f"passages), model {add['model']}: {add['seconds_total']} s end to end; embedded "
                    f"{add['passages_embedded']} passages + {add['sentences_embedded']} sentences; phases "
                    + ", ".join(f"{k} {v}" for k, v in add["phases"].items()) + ".")
    rows.append(f"\nPassage vectors: {r['passage_vectors']}.")
    return "\n".join(rows) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in r["sizes"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in STEPS:
        ax.plot(sizes, [s["latency_ms"][key]["p95"] for s in r["sizes"].values()], marker="o", label=f"{key} p95")
    ax.set_xscale("log")
    ax.set_xlabel("passages")
    ax.set_ylabel("ms")
    ax.set_title("Hỏi Báo latency against corpus size (2 cores)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


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
    elif argv[0] in ("_update_base", "_update"):
        from .bench_update import child_update, child_update_base

        result = child_update_base(Path(argv[1]), Path(argv[2]), argv[3]) if argv[0] == "_update_base" else \
            child_update(Path(argv[1]), Path(argv[2]), argv[3], [Path(a) for a in argv[5:]], int(argv[4]))
    else:
        raise SystemExit(f"unknown bench step {argv[0]!r}")
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
