"""`python -m index build | info | search | eval` — see README.md."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from . import store
from .backend_cli import cmd_info, push_after
from .engine import Engine
from .folds import parse_fold
from .rerank import Reranker, RerankerUnavailable, load_reranker
from .settings import IndexSettings, load_dotenv
from .tuning import DEFAULT, Tuning
from .vectors import ModelError


def _progress_bar() -> object:
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "done":
            for b in bars.values():
                b.close()
            return
        bar = bars.get(phase)
        if bar is None:
            for old in bars.values():  # one bar at a time: phases run one after another
                old.close()
            bar = bars[phase] = tqdm(total=total, desc=phase, file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()

    return progress


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    model = None if args.no_vectors else args.model
    try:
        summary = build(args.articles, Path(args.index_dir), model, progress=_progress_bar())  # type: ignore[arg-type]
    except (ModelError, store.BuildLocked, ValueError, OSError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
        return push_after(args)
    print(f"generation {summary.generation}: {summary.articles} articles, {summary.chunks} chunks")
    print(f"embedded {summary.embedded}, reused {summary.reused} (model: {summary.model or 'none, BM25 only'})")
    print(f"skipped {len(summary.skipped)}:")
    for s in summary.skipped:
        print(f"  {s['source']}: {s['reason']}")
    print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in summary.seconds.items()))
    return push_after(args)



def load_engine(index_dir: Path, model: str | None, no_vectors: bool = False, tuning: Tuning = DEFAULT) -> Engine:
    """The engine over INDEX_BACKEND's index (the generation alone, or it and a Qdrant collection)."""
    from dataclasses import replace

    from .backends.serve import load_index

    gen, backend = load_index(replace(IndexSettings.from_env(), index_dir=index_dir), None if no_vectors else model)
    embedder = None
    if gen.model and not no_vectors:
        from .vectors import load_embedder

        embedder = load_embedder(model or gen.model)
    return Engine(gen, embedder, tuning=tuning, backend=backend)


def read_tuning(path: str | None) -> Tuning:
    """`Tuning()` with the overrides of a JSON file (`--tuning`)."""
    if not path:
        return DEFAULT
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of Tuning fields")
    return Tuning.from_json(data)


def _engine(args: argparse.Namespace) -> Engine | None:
    try:
        tuning = read_tuning(getattr(args, "tuning", None))
    except (OSError, ValueError, TypeError) as exc:
        print(f"bad --tuning: {exc}", file=sys.stderr)
        return None
    try:
        engine = load_engine(Path(args.index_dir), args.model, args.no_vectors, tuning)
        engine.reranker = load_reranker(args.reranker)
        return engine
    except (store.IndexUnavailable, ModelError, RerankerUnavailable) as exc:
        print(f"index unavailable: {exc}", file=sys.stderr)
        return None


def cmd_search(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if engine is None:
        return 1
    ans = engine.answer(args.question, k=args.k, today=args.today)
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False))
        return 0
    if ans.period:  # as the reply says it: "Trong tháng 3/2025: …"
        print(ans.period.phrase[0].upper() + ans.period.phrase[1:] + ":")
    print(f"answered: {ans.answered} (confidence {ans.confidence:.2f})")
    for i, h in enumerate(ans.hits, 1):
        print(f"\n{i}. {h.title} ({h.published or 'no date'}) {h.url or ''}\n   «{h.quote}»\n   score {h.score:.3f}")
    return 0


def fold_rerankers(folder: str | None) -> list[Reranker] | None:
    """The fold-<i> models of a `python -m train` output, in fold order."""
    if not folder:
        return None
    paths = sorted(Path(folder).glob("fold-*"), key=lambda p: int(p.name.split("-")[1]))
    if not paths:
        raise RerankerUnavailable(f"{folder}: no fold-<i> models (python -m train --only folds)")
    return [Reranker(p) for p in paths]


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import run_eval

    engine = _engine(args)
    if engine is None:
        return 1
    return run_eval(engine, Path(args.qa), as_json=args.json, plot=args.plot, mode=args.mode,
                    limit=args.limit, dump=args.dump, gate=args.gate, today=args.today,
                    fold=parse_fold(args.fold) if args.fold else None, cv=fold_rerankers(args.cv))


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run

    if args.backend == "qdrant":  # the embedded index and Qdrant side by side (index/bench_backends.py)
        from .bench_backends import run as run_backends

        done = run_backends(Path(args.source), args.sizes or [10_000, 100_000, 1_000_000], Path(args.out),
                            args.model if args.real_queries else None, args.queries)
        print((Path(args.out) / "backends-results.md").read_text(encoding="utf-8"))
        return 0 if done["sizes"] else 1

    if args.update_sizes:
        from .bench_update import run as run_update

        model = args.model if args.real_queries else None
        run_update(Path(args.source), args.update_sizes, Path(args.out), model, args.queries)
        print((Path(args.out) / "update-results.md").read_text(encoding="utf-8"))
        if args.sizes is None:
            return 0

    results = run(Path(args.source), args.sizes or [10_000, 100_000, 1_000_000], Path(args.out),
                  args.model if args.real_queries else None, args.queries, compare=args.compare_model,
                  add_to=args.add_to)
    print((Path(args.out) / "results.md").read_text(encoding="utf-8"))
    return 0 if results["sizes"] else 1


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from .onnx_embed import export

    out = export(args.model, Path(args.out), quantize=not args.fp32)
    print(f"wrote {out}: use it as EMBEDDING_MODEL (then rebuild the index: its vectors differ slightly)")
    return 0


def _today_option(*parsers: argparse.ArgumentParser) -> None:
    for sp in parsers:  # "tháng này", "mới nhất" are read against it
        sp.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD: pin today (default: the clock, UTC+7)")


Common = Callable[[argparse.ArgumentParser], None]


def _add_index_commands(sub: Any, common: Common, env: IndexSettings) -> None:
    b = sub.add_parser("build", help="build a new index generation")
    b.add_argument("--articles", nargs="+", default=[str(env.articles_dir)],
                   help="files or folders; default: $ARTICLES_DIR")
    common(b)
    b.set_defaults(fn=cmd_build)
    i = sub.add_parser("info", help="show the live generation")
    common(i)
    i.set_defaults(fn=cmd_info)
    ex = sub.add_parser("export-onnx", help="write an int8 ONNX copy of a sentence-transformers model")
    ex.add_argument("--model", default=env.embedding_model, help="sentence-transformers model folder")
    ex.add_argument("--out", required=True, help="folder to write (becomes an EMBEDDING_MODEL)")
    ex.add_argument("--fp32", action="store_true", help="skip int8 quantisation")
    ex.set_defaults(fn=cmd_export_onnx)


def _add_question_commands(sub: Any, common: Common) -> None:
    s = sub.add_parser("search", help="answer one question")
    common(s)
    s.add_argument("--k", type=int, default=3)
    s.add_argument("question")
    s.set_defaults(fn=cmd_search)
    e = sub.add_parser("eval", help="measure answers against a qa.jsonl file")
    common(e)
    e.add_argument("--qa", required=True)
    e.add_argument("--plot")
    e.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    e.add_argument("--limit", type=int, default=0, help="first N questions only")
    e.add_argument("--dump", help="write per-question results as JSONL here")
    e.add_argument("--fold", help="I/K: only the questions of fold I of K (cross-validation, index/folds.py)")
    e.add_argument("--cv", help="folder of k-fold cross-encoders (fold-0, fold-1, …): each question is "
                   "answered by the one its fold did not train")
    e.add_argument("--gate", help="thresholds file (quality-gate.json): exit 3 when any is missed")
    _today_option(s, e)
    for sp in (s, e):
        sp.add_argument("--tuning", help="JSON object of Tuning fields to override (index/tuning.py)")
    e.set_defaults(fn=cmd_eval)


def _add_bench(sub: Any, env: IndexSettings) -> None:
    bn = sub.add_parser("bench", help="build and serve synthetic corpora of N passages, timed")
    bn.add_argument("--source", required=True, help="real articles whose vocabulary and lengths to imitate")
    bn.add_argument("--sizes", type=int, nargs="+", default=None, help="passages (default 10k 100k 1M)")
    bn.add_argument("--update-sizes", type=int, nargs="+", default=[],
                    help="archives of N articles: time 20 and 100 new ones becoming answerable")
    bn.add_argument("--out", default="bench-out")
    bn.add_argument("--model", default=env.embedding_model, help="model for query embeddings and throughput")
    bn.add_argument("--real-queries", action="store_true", help="embed queries and measure throughput with --model")
    bn.add_argument("--queries", type=int, default=500)
    bn.add_argument("--backend", choices=("embedded", "qdrant"), default="embedded",
                    help="qdrant: the embedded index and Qdrant (in-process) side by side")
    bn.add_argument("--compare-model", nargs="*", default=[], help="more models whose embedding throughput to measure")
    bn.add_argument("--add-to", type=int, default=10_000,
                    help="time adding 100 articles to an index of this many (0: skip)")
    bn.set_defaults(fn=cmd_bench)


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    env = IndexSettings.from_env()
    p = argparse.ArgumentParser(prog="python -m index", description="Hỏi Báo indexer")
    p.add_argument("--log-level", default="WARNING")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--index-dir", default=str(env.index_dir), help="default: $INDEX_DIR")
        sp.add_argument("--model", default=env.embedding_model, help="default: $EMBEDDING_MODEL")
        sp.add_argument("--no-vectors", action="store_true", help="BM25 only")
        sp.add_argument("--reranker", default=os.environ.get("RERANKER_MODEL"),
                        help="cross-encoder folder, or none (default: $RERANKER_MODEL, else models/reranker)")
        sp.add_argument("--json", action="store_true")

    _add_index_commands(sub, common, env)
    _add_question_commands(sub, common)
    _add_bench(sub, env)
    from .calibrate import add_parser as add_calibrate_parser
    from .fetch.cli import add_parser as add_fetch_parser
    from .sync_cli import add_parsers

    add_parsers(sub, common, env)
    add_fetch_parser(sub)
    add_calibrate_parser(sub, common)
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
