"""`python -m index eval`: answer quality on a qa.jsonl file, overall and per tag."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from .engine import Answer, Engine
from .folds import qa_fold
from .rerank import Reranker
from .text import nfc

METRICS = ("article_hit@1", "article_hit@3", "answer_hit@1", "answer_hit@3", "mrr@10",
           "answered_rate", "refusal_rate", "latency_ms_p50", "latency_ms_p95", "n")


def norm(text: str) -> str:
    """The comparison form for gold answers: NFC, lowercase, single spaces."""
    return re.sub(r"\s+", " ", nfc(text).lower()).strip()


@dataclass(frozen=True, slots=True)
class Row:
    tags: tuple[str, ...]
    answerable: bool
    rank: int | None  # 1-based rank of the gold article among the hits
    answer_rank: int | None  # 1-based rank of the first hit whose quote holds a gold answer
    answered: bool
    ms: float


def score_one(item: dict[str, Any], ans: Answer, ms: float, max_quote: int) -> Row:
    answers = [norm(str(a)) for a in (item.get("answers") or [])]
    url, title = item.get("url"), item.get("title")
    rank = answer_rank = None
    for i, h in enumerate(ans.hits, 1):
        gold = (h.url == url) if url else (norm(h.title) == norm(str(title)))
        if gold and rank is None:
            rank = i
        quote = norm(h.quote)
        if answer_rank is None and len(h.quote.strip("…")) <= max_quote and any(a and a in quote for a in answers):
            answer_rank = i
    return Row(tuple(item.get("tags") or ()), bool(answers), rank, answer_rank, ans.answered, ms)


def summarise(rows: list[Row]) -> dict[str, float | int | None]:
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]

    def rate(sel: list[Row], ok: Callable[[Row], bool]) -> float | None:
        return round(sum(1 for r in sel if ok(r)) / len(sel), 4) if sel else None

    ms = np.array([r.ms for r in rows]) if rows else np.zeros(1)
    return {
        "article_hit@1": rate(ans, lambda r: r.rank == 1),
        "article_hit@3": rate(ans, lambda r: r.rank is not None and r.rank <= 3),
        "answer_hit@1": rate(ans, lambda r: r.answer_rank == 1),
        "answer_hit@3": rate(ans, lambda r: r.answer_rank is not None and r.answer_rank <= 3),
        "mrr@10": round(float(np.mean([1 / r.rank if r.rank and r.rank <= 10 else 0.0 for r in ans])), 4)
        if ans else None,
        "answered_rate": rate(ans, lambda r: r.answered),
        "refusal_rate": rate(una, lambda r: not r.answered),
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 2),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 2),
        "n": len(rows),
    }


def report(rows: list[Row]) -> dict[str, Any]:
    by_tag: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        for t in r.tags:
            by_tag[t].append(r)
    return {"overall": summarise(rows), "by_tag": {t: summarise(v) for t, v in sorted(by_tag.items())}}


def read_qa(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(engine: Engine, items: list[dict[str, Any]], dump: Path | None = None,
             today: date | None = None, cv: list[Reranker] | None = None) -> list[Row]:
    """`cv`: cross-encoders of k folds; each question is answered by the one that its fold
    did not train (index/folds.py)."""
    rows = []
    out = dump.open("w", encoding="utf-8") if dump else None
    try:
        for item in items:
            if cv:
                engine.reranker = cv[qa_fold(item, len(cv))]
            t = time.perf_counter()
            ans = engine.answer(str(item["question"]), k=10, today=today)
            ms = (time.perf_counter() - t) * 1000
            row = score_one(item, ans, ms, engine.tuning.max_quote)
            rows.append(row)
            if out:
                out.write(json.dumps({"id": item.get("id"), "question": item["question"], "tags": row.tags,
                                      "answerable": row.answerable, "rank": row.rank,
                                      "answer_rank": row.answer_rank, "answered": ans.answered,
                                      "confidence": ans.confidence, "quote": ans.hits[0].quote if ans.hits else None,
                                      "gold": item.get("answers"), "period": ans.period.label if ans.period else None,
                                      **ans.debug}, ensure_ascii=False) + "\n")
    finally:
        if out:
            out.close()
    return rows


def plot(result: dict[str, Any], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {"overall": result["overall"], **result["by_tag"]}
    keys = ("article_hit@1", "answer_hit@1", "answered_rate", "refusal_rate")
    names = list(groups)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(names)), 4))
    width = 0.8 / len(keys)
    for i, k in enumerate(keys):
        vals = [np.nan if groups[n].get(k) is None else groups[n][k] for n in names]  # n/a: no bar
        bars = ax.bar(np.arange(len(names)) + i * width, vals, width, label=k)
        ax.bar_label(bars, labels=["" if np.isnan(v) else f"{v:.2f}" for v in vals], fontsize=6)
    ax.set_xticks(np.arange(len(names)) + width * (len(keys) - 1) / 2, names)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("rate")
    ax.set_title("Hỏi Báo answer quality by tag")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(keys))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_eval(engine: Engine, qa: Path, as_json: bool, plot: str | None = None, mode: str = "hybrid",
             limit: int = 0, dump: str | None = None, gate: str | None = None, today: date | None = None,
             fold: tuple[int, int] | None = None, cv: list[Reranker] | None = None) -> int:
    engine.retriever.weights.mode = mode
    items = read_qa(qa)
    if fold is not None:
        items = [i for i in items if qa_fold(i, fold[1]) == fold[0]]
    if limit:
        items = items[:limit]
    result = report(evaluate(engine, items, Path(dump) if dump else None, today, cv))
    # what produced these figures: a figure without its tuning cannot be compared
    result["tuning"] = engine.tuning.to_json()
    result["calibration"] = engine.choice.source
    if plot:
        globals()["plot"](result, plot)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_table(result)
    if gate:
        failures = gate_failures(result, json.loads(Path(gate).read_text(encoding="utf-8")))
        for f in failures:
            print(f"GATE FAILED: {f}", file=sys.stderr)
        if failures:
            return 3
        print(f"gate passed ({gate})", file=sys.stderr)
    return 0


def _print_table(result: dict[str, Any]) -> None:
    groups = {"overall": result["overall"], **result["by_tag"]}
    head = ["group", *METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in groups.items():
        cells = [name] + ["–" if m[k] is None else str(m[k]) for k in METRICS]
        lines.append("| " + " | ".join(cells) + " |")
    sys.stdout.write("\n".join(lines) + "\n")


def gate_failures(result: dict[str, Any], gate: dict[str, Any]) -> list[str]:
    """Every threshold of the gate file that `result` misses, as readable lines."""
    groups = {"overall": result["overall"], **result["by_tag"]}
    failures = []
    for group, mins in dict(gate.get("min", {})).items():
        for metric, floor in mins.items():
            got = groups.get(group, {}).get(metric)
            if got is None or got < floor:
                failures.append(f"{group} {metric} = {got} < {floor}")
    for rule in gate.get("max_gap", []):
        a = groups.get(rule["tag"], {}).get(rule["metric"])
        b = groups.get(rule["reference"], {}).get(rule["metric"])
        if a is None or b is None or b - a > rule["gap"]:
            failures.append(f"{rule['tag']} {rule['metric']} = {a} is more than {rule['gap']} below "
                            f"{rule['reference']} ({b})")
    return failures
