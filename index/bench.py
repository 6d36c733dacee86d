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


def synth(prof: dict[str, Any], n_chunks: int, out: Path, seed: int = 0) -> int:
    """Write a JSONL corpus of about `n_chunks` passages; returns the article count."""
    rng = np.random.default_rng(seed)
    vocab = prof["vocab"]
    p = 1.0 / np.arange(1, len(vocab) + 1) ** ZIPF_S
    p /= p.sum()
    sent_lens = np.array(prof["sentence_lengths"])
    art_lens = np.array(prof["article_lengths"])
    chunks = n_articles = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        while chunks < n_chunks:
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


def child_serve(index_dir: Path, corpus: Path, model: str | None, n_queries: int) -> dict[str, Any]:
    from .answer import Engine
    from .generation import load
    from .query import parse
    from .vectors import Embedder

    t = time.perf_counter()
    gen = load(index_dir)
    cold = time.perf_counter() - t
    rss_loaded = _rss_mb("VmRSS")
    embedder: Any = Embedder(model) if model else RandomEmbedder(seed=1)
    engine = Engine(gen, embedder)
    engine.retriever.embedder = embedder
    rng = np.random.default_rng(7)
    questions = []
    with corpus.open(encoding="utf-8") as fh:
        lines = fh.readlines()
    for i in rng.choice(len(lines), n_queries):
        text = json.loads(lines[int(i)])["text"]
        toks = TOKEN_RE.findall(text)
        start = int(rng.integers(0, max(1, len(toks) - 8)))
        questions.append(" ".join(toks[start:start + int(rng.integers(5, 10))]) + "?")
    parts: dict[str, list[float]] = {k: [] for k in ("bm25", "dense", "fusion", "quote", "answer")}
    cache = engine.retriever._qcache
    for qtext in questions:
        cache.clear()  # every step below pays for its own query embedding
        t = time.perf_counter()
        engine.answer(qtext)
        parts["answer"].append((time.perf_counter() - t) * 1000)
        cache.clear()
        q = parse(qtext, gen.analyzer, gen.lexicon, True)
        t0 = time.perf_counter()
        gen.exact.scores(q.terms)
        t1 = time.perf_counter()
        vec = embedder.query(qtext)
        assert gen.faiss_index is not None
        gen.faiss_index.search(vec[None, :], 100)
        t2 = time.perf_counter()
        cache.clear()
        t2 = time.perf_counter()
        res = engine.retriever.search(q, 5)
        t3 = time.perf_counter()
        if res.candidates:
            engine._hit(res.candidates[0], q, {t: gen.exact.idf(t) for t in q.terms}, res.query_vector)
        t4 = time.perf_counter()
        for k, a, b in (("bm25", t0, t1), ("dense", t1, t2), ("fusion", t2, t3), ("quote", t3, t4)):
            parts[k].append((b - a) * 1000)
    out: dict[str, Any] = {"cold_load_s": round(cold, 2), "rss_mb_loaded": round(rss_loaded, 1),
                           "latency_ms": {k: _pcts(v) for k, v in parts.items()}}
    for workers in (1, 8):
        def one(qtext: str) -> float:
            t = time.perf_counter()
            engine.answer(qtext)
            return (time.perf_counter() - t) * 1000

        cache.clear()
        t = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            ms = list(pool.map(one, questions))
        out[f"answer_{workers}_askers"] = {**_pcts(ms), "qps": round(len(ms) / (time.perf_counter() - t), 1)}
    out["peak_rss_mb_serving"] = round(_rss_mb(), 1)
    out["query_embedding"] = model or "random (no model given)"
    return out


def embed_throughput(model: str, source: Path, n: int = 256) -> dict[str, Any]:
    from .chunks import chunk_article, passage_text
    from .vectors import Embedder

    arts = read_articles([source]).articles
    passages = [passage_text(a, c) for i, a in enumerate(arts) for c in chunk_article(a, i)][:n]
    emb = Embedder(model)
    emb.passages(passages[:8])
    t = time.perf_counter()
    emb.passages(passages)
    secs = time.perf_counter() - t
    return {"model": model, "passages": len(passages), "passages_per_s": round(len(passages) / secs, 1)}


def _child(args: list[str]) -> dict[str, Any]:
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "index.bench", *args], capture_output=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench step {args[0]} failed: {out.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def run(source: Path, sizes: list[int], out_dir: Path, model: str | None, queries: int) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    prof = profile(source)
    results: dict[str, Any] = {"source": str(source), "passage_vectors": "random unit vectors (stand-in)",
                               "cpu_count": os.cpu_count(), "sizes": {}}
    if model:
        results["embedding"] = embed_throughput(model, source)
    for n in sizes:
        corpus = out_dir / f"corpus-{n}.jsonl"
        t = time.perf_counter()
        n_art = synth(prof, n, corpus, seed=n)
        gen_s = round(time.perf_counter() - t, 2)
        idx = out_dir / f"index-{n}"
        built = _child(["_build", str(corpus), str(idx)])
        served = _child(["_serve", str(idx), str(corpus), model or "", str(queries)])
        results["sizes"][str(n)] = {"articles": n_art, "generate_s": gen_s, **built, **served}
        (out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "results.md").write_text(markdown(results), encoding="utf-8")
    plot(results, out_dir / "latency.png")
    return results


def markdown(r: dict[str, Any]) -> str:
    rows = ["| passages | articles | build s | chunks/s | disk MB | build RSS MB | cold load s | serve RSS MB "
            "| bm25 p95 | dense p95 | fusion p95 | quote p95 | answer p50/p95/p99 | 8 askers p95 (qps) |",
            "|" + "---|" * 14]
    for n, s in r["sizes"].items():
        lat = s["latency_ms"]
        a, c8 = lat["answer"], s["answer_8_askers"]
        rows.append(f"| {int(n):,} | {s['articles']:,} | {s['build_seconds']} | {s['chunks_per_s']} | "
                    f"{s['bytes_on_disk'] / 1e6:.0f} | {s['peak_rss_mb_build']:.0f} | {s['cold_load_s']} | "
                    f"{s['peak_rss_mb_serving']:.0f} | {lat['bm25']['p95']} | {lat['dense']['p95']} | "
                    f"{lat['fusion']['p95']} | {lat['quote']['p95']} | {a['p50']}/{a['p95']}/{a['p99']} | "
                    f"{c8['p95']} ({c8['qps']}) |")
    phases = ["", "Build phases (s): " + "; ".join(
        f"{int(n):,}: " + ", ".join(f"{k} {v}" for k, v in s["seconds"].items()) for n, s in r["sizes"].items())]
    emb = r.get("embedding")
    if emb:
        phases.append(f"Embedding throughput, {emb['model']}: {emb['passages_per_s']} passages/s on {emb['passages']}")
    phases.append(f"Passage vectors: {r['passage_vectors']}.")
    return "\n".join(rows + phases) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in r["sizes"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in ("bm25", "dense", "fusion", "quote", "answer"):
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
    else:
        raise SystemExit(f"unknown bench step {argv[0]!r}")
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
