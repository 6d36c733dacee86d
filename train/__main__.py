"""`python -m train`: the answer-sentence cross-encoder, k-fold models and the final one.

    python -m train --index DEV_INDEX --qa DEV_QA --extra EXTRA_QA --base E5_SMALL --out models/reranker

DEV_INDEX: the dev articles indexed with E5_SMALL's vectors — the chooser whose confusions
the model learns to settle must be the one it serves beside.

writes CV_OUT/fold-<i>/ (trained without fold i's articles: what the cross-validated dev
figures use, `python -m index eval --cv CV_OUT`) and OUT/ (trained on every fold: the model
the bot serves).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from index.__main__ import load_engine
from index.evaluate import read_qa
from index.rerank import TRUNCATION

from . import vocab
from .export import export
from .fit import Settings, build_model, train
from .pairs import harvest, training_groups

log = logging.getLogger("train")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True, help="the dev articles, indexed with --base's vectors")
    p.add_argument("--qa", type=Path, required=True)
    p.add_argument("--extra", type=Path, help="other-domain QA (question, context, answer)")
    p.add_argument("--base", type=Path, required=True, help="multilingual-e5-small (sentence-transformers folder)")
    p.add_argument("--out", type=Path, required=True, help="the final model's folder")
    p.add_argument("--cv-out", type=Path, help="where the fold models go (default: OUT)")
    p.add_argument("--folds", type=int, default=2)
    p.add_argument("--only", choices=("all", "folds", "final"), default="all")
    p.add_argument("--fold", type=int, action="append", help="train only these folds")
    p.add_argument("--layers", type=int, default=Settings().layers)
    p.add_argument("--max-length", type=int, default=Settings().max_length)
    p.add_argument("--epochs", type=float, default=Settings().epochs)
    p.add_argument("--lr", type=float, default=Settings().lr)
    p.add_argument("--max-groups", type=int, default=0, help="training groups a model sees (0: all)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch

    torch.set_num_threads(2)
    engine = load_engine(a.index, str(a.base))
    gen = engine.gen
    items = read_qa(a.qa)
    extra = read_qa(a.extra) if a.extra else []
    a.out.mkdir(parents=True, exist_ok=True)
    pruned = a.out / "tokenizer.pruned.json"
    texts = [t for art in gen.articles for t in (art.title, art.text)] + [str(i["question"]) for i in items] \
        + [str(r[k]) for r in extra for k in ("question", "context")]
    kept = vocab.used_ids(a.base / "tokenizer.json", texts)
    vocab.write_pruned(a.base / "tokenizer.json", kept, pruned)
    log.info("vocabulary: %d of the base model's pieces kept", len(kept))
    s = Settings(layers=a.layers, max_length=a.max_length, epochs=a.epochs, lr=a.lr)
    runs = [(f, (a.cv_out or a.out) / f"fold-{f}") for f in (a.fold or range(a.folds))] if a.only != "final" else []
    if a.only != "folds":
        runs.append((None, a.out))
    dev = harvest(engine, items, a.folds)
    log.info("%d dev groups from the chooser's shortlists", len(dev))
    for held_out, target in runs:
        groups = training_groups(dev, extra, held_out, s.seed, a.max_groups)
        log.info("training %s on %d groups", target, len(groups))
        started = time.monotonic()
        tok = _tokenizer(pruned, s.max_length)
        model = train(build_model(a.base, kept, s.layers), tok, groups, s)
        meta = {"max_length": s.max_length, "layers": s.layers, "pad_id": 1, "base": a.base.name,
                "previous": False,
                "held_out_fold": held_out, "folds": a.folds, "groups": len(groups), "epochs": s.epochs,
                "vocabulary": len(kept), "train_seconds": round(time.monotonic() - started)}
        export(model, pruned, target, meta)
        log.info("wrote %s (%.0f s)", target, time.monotonic() - started)
    pruned.unlink()  # each model folder has its copy


def _tokenizer(path: Path, max_length: int):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_length, strategy=TRUNCATION)
    tok.enable_padding(pad_id=1)
    return tok


if __name__ == "__main__":
    main()
