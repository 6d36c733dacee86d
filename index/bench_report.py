"""The report of `python -m index bench`: results.md and the latency plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
