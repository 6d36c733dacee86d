"""`python -m index calibrate`: fit the confidence for the index's embedding model.

Samples, from a qa.jsonl split (docs/answers.md, "Answer or not"): each answerable question
as asked (positive), the same question with its own article taken out of the index
(negative: what is left cannot answer it), and each unanswerable question (negative). Only
questions the vectors took part in count: the others are judged by the lexical fit. An
(unregularised) logistic regression on the three features, 5-fold cross-validated by
question; the threshold answers 96% of answerable questions. The fit is published with a
new generation (the live one's files hard-linked, plus `calibration.json`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import layout, store
from .backends.embedded import EmbeddedBackend
from .engine import Engine
from .evaluate import read_qa
from .generation import Generation
from .lexical import Field
from .segments import Stacked
from .tuning import Calibration

log = logging.getLogger(__name__)
ANSWERED_SHARE = 0.96  # of answerable questions the threshold lets through
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Sample:
    group: int  # question number: a question and its article-removed twin share a fold
    x: tuple[float, float, float]  # passage bigrams, article bigrams, cosine
    kind: str  # "asked" (answerable, its article present), "removed" (its article taken out), "unanswerable"

    @property
    def label(self) -> bool:
        """Positive: the index holds an article that answers."""
        return self.kind == "asked"


def without(gen: Generation, article: int) -> Generation:
    """`gen` with one more article taken down: no score, pool or vector search sees it."""
    dead = np.zeros(len(gen.articles), dtype=bool) if gen.dead_articles is None else gen.dead_articles.copy()
    dead[article] = True
    chunks = dead[gen.chunk_article]

    def field(f: Field, mask: np.ndarray) -> Field:
        return Field(f.parts, mask)

    emb = gen.embeddings
    if emb is not None:
        emb = Stacked(emb.parts, emb.ann, chunks) if isinstance(emb, Stacked) else Stacked([emb], gen.faiss_index,
                                                                                           chunks)
    return replace(gen, exact=field(gen.exact, chunks), folded=field(gen.folded, chunks),
                   article_exact=field(gen.article_exact, dead), article_folded=field(gen.article_folded, dead),
                   embeddings=emb, faiss_index=None, dead_articles=dead, _live=None)


def _features(engine: Engine, question: str) -> tuple[tuple[float, float, float], str | None, bool]:
    ans = engine.answer(question, k=1)
    d = ans.debug
    x = (float(d.get("passage_bigrams", 0.0)), float(d.get("article_bigrams", 0.0)),  # type: ignore[arg-type]
         float(d.get("cosine", 0.0)))  # type: ignore[arg-type]
    return x, ans.hits[0].article_id if ans.hits else None, bool(d.get("dense"))


def samples(engine: Engine, items: list[dict[str, Any]], progress: bool = False) -> list[Sample]:
    gen = engine.gen
    by_url = {a.url: i for i, a in enumerate(gen.articles) if a.url}
    by_title = {a.title.strip().lower(): i for i, a in enumerate(gen.articles)}
    out: list[Sample] = []
    for n, item in enumerate(items):
        if progress and n % 200 == 0:
            sys.stderr.write(f"calibrate: {n}/{len(items)} questions\n")
        question, answerable = str(item["question"]), bool(item.get("answers"))
        url, title = item.get("url"), str(item.get("title", "")).strip().lower()
        gold = by_url.get(url) if url else by_title.get(title)
        x, _, dense = _features(engine, question)
        if dense:
            out.append(Sample(n, x, "asked" if answerable else "unanswerable"))
        if not answerable or gold is None:
            continue
        engine.gen = engine.retriever.gen = without(gen, gold)
        backend, engine.retriever.backend = engine.retriever.backend, EmbeddedBackend(engine.gen)
        try:
            x, _, dense = _features(engine, question)
        finally:
            engine.gen = engine.retriever.gen = gen
            engine.retriever.backend = backend
        if dense:
            out.append(Sample(n, x, "removed"))
    return out


def fit(data: list[Sample]) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    x = np.array([s.x for s in data])
    y = np.array([s.label for s in data])
    model = LogisticRegression(C=1e6, max_iter=10_000).fit(x, y)
    coef = model.coef_[0]
    cal = Calibration(float(model.intercept_[0]), float(coef[0]), float(coef[1]), float(coef[2]), 0.5)
    conf = np.array([cal.confidence(*s.x) for s in data if s.label])
    threshold = float(np.floor(np.quantile(conf, 1 - ANSWERED_SHARE) * 1000) / 1000) if len(conf) else 0.5
    return Calibration(round(cal.bias, 2), round(cal.passage_bigrams, 2), round(cal.article_bigrams, 2),
                       round(cal.cosine, 2), threshold)


def cross_validate(data: list[Sample], folds: int = FOLDS) -> dict[str, float]:
    """Held-out rates, each fold fitted (threshold included) without its questions."""
    groups = np.array([s.group for s in data])
    fold_of = {g: i % folds for i, g in enumerate(np.random.default_rng(0).permutation(np.unique(groups)))}
    got: dict[str, list[bool]] = {"answered": [], "refused_removed": [], "refused_unanswerable": []}
    for k in range(folds):
        cal = fit([s for s in data if fold_of[s.group] != k])
        for s in (s for s in data if fold_of[s.group] == k):
            yes = cal.confidence(*s.x) >= cal.threshold
            got["answered" if s.label else f"refused_{s.kind}"].append(yes if s.label else not yes)
    return {k: round(float(np.mean(v)), 4) if v else float("nan") for k, v in got.items()}


def publish(index_dir: Path, record: dict[str, Any]) -> str:
    """A new generation: the live one's files hard-linked, plus the calibration."""
    with store.build_lock(index_dir):
        live = store.current_path(index_dir)
        if live is None:
            raise store.IndexUnavailable(f"{index_dir}: no index yet")
        manifest = store.read_manifest(live, verify=True)
        files = manifest["files"]
        assert isinstance(files, dict)
        gen = store.generations_dir(index_dir) / (store.new_generation_name() + store.PARTIAL)
        gen.mkdir(parents=True)
        known = {}
        for rel, digest in files.items():
            if rel == layout.CALIBRATION:
                continue
            (gen / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(live / rel, gen / rel)
            known[rel] = str(digest)
        (gen / layout.CALIBRATION).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        info = {k: v for k, v in manifest.items() if k not in ("files", "format_version")}
        info["calibration"] = {"model": record["model"], "fitted_at": record["fitted_at"]}
        store.write_manifest(gen, info, known)
        return store.publish(index_dir, gen).name


def run(engine: Engine, qa: Path, index_dir: Path | None, progress: bool = False) -> dict[str, Any]:
    """Fit on `qa` and, with `index_dir`, publish the fit with a new generation."""
    if engine.gen.model is None or not engine.dense:
        raise ValueError("a BM25-only index has nothing to calibrate: its answers use the lexical fit")
    data = samples(engine, read_qa(qa), progress)
    cal = fit(data)
    record: dict[str, Any] = {
        "model": engine.gen.model, "dense": cal.to_json(), "cv": cross_validate(data), "qa": str(qa),
        "samples": {kind: sum(s.kind == kind for s in data) for kind in ("asked", "removed", "unanswerable")},
        "tuning_version": engine.tuning.version, "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if index_dir is not None:
        record["generation"] = publish(index_dir, record)
    return record


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .__main__ import _engine

    engine = _engine(args)
    if engine is None:
        return 1
    try:
        record = run(engine, Path(args.qa), None if args.dry_run else Path(args.index_dir), progress=not args.json)
    except (ValueError, store.IndexUnavailable, store.BuildLocked) as exc:
        sys.stderr.write(f"calibrate failed: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=None if args.json else 1) + "\n")
    return 0


def add_parser(sub: Any, common: Any) -> None:
    c = sub.add_parser("calibrate", help="fit the answer confidence for the index's model, store it with the index")
    common(c)
    c.add_argument("--qa", required=True, help="qa.jsonl of a development split (with unanswerable questions)")
    c.add_argument("--dry-run", action="store_true", help="fit and print, publish nothing")
    c.set_defaults(fn=cmd_calibrate)
