"""The committed cross-encoder (models/reranker): what `make run`, CI and a fresh clone serve.
Its dev figures are cross-validated by `python -m index eval --cv` (docs/answers.md); these
tests hold what a clone can check without ../shared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.build import build
from index.engine import Engine
from index.generation import load
from index.rerank import DEFAULT_DIR, MARKER, WEIGHTS, candidate_text, load_reranker
from tests.conftest import ARTICLES, SAMPLE

CASES = Path(__file__).parent / "data" / "reranker" / "cases.json"
ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 40_000_000  # the budget for a committed model


def test_the_committed_model_is_small_pruned_and_served_by_default() -> None:
    meta = json.loads((DEFAULT_DIR / MARKER).read_text(encoding="utf-8"))
    assert (DEFAULT_DIR / WEIGHTS).stat().st_size <= MAX_BYTES
    assert meta["layers"] == 12 and meta["held_out_fold"] is None  # trained on every fold
    assert meta["vocabulary"] < 20_000  # of e5-small's 250,002 pieces
    model = load_reranker(None)  # RERANKER_MODEL unset (conftest clears it)
    assert model is not None and model.folder == DEFAULT_DIR and not model.previous


def test_it_puts_the_quote_that_answers_above_those_that_only_share_words() -> None:
    """Questions written for it, over an invented article: the answering quote shares fewer
    of the question's words than the others, which is where word scores go wrong."""
    data = json.loads(CASES.read_text(encoding="utf-8"))
    model = load_reranker(None)
    assert model is not None
    for case in data["cases"]:
        texts = [candidate_text(q, "", data["title"]) for q in case["quotes"]]
        scores = model.scores(case["question"], texts)
        assert int(np.argmax(scores)) == 0, (case["question"], scores.round(2).tolist())


def test_serving_it_needs_no_torch() -> None:
    code = ("import sys; sys.modules['torch'] = None\n"
            "from index.rerank import load_reranker\n"
            "print(load_reranker(None).scores('Cầu dài bao nhiêu mét?', ['Cầu dài 48 mét.', 'Trời mưa.']).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "(2,)"


def test_it_chooses_quotes_and_never_moves_an_article(tmp_path: Path) -> None:
    """The model's only say is which quote an article shows: hits, their order and scores and
    the confidence are the word/cosine chooser's (the key-term rules, which read the quote's
    context, may still judge a different quote differently)."""
    build([SAMPLE, ARTICLES], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    served, plain = Engine(gen, reranker=load_reranker(None)), Engine(gen)
    changed = 0
    for art in gen.articles:
        question = f"{art.title} như thế nào?"
        a, b = served.answer(question), plain.answer(question)
        assert isinstance(a.debug["reader"], float) and b.debug["reader"] is None
        assert [(h.url, h.score) for h in a.hits] == [(h.url, h.score) for h in b.hits]
        assert a.confidence == b.confidence
        changed += sum(x.quote != y.quote for x, y in zip(a.hits, b.hits, strict=True))
    assert changed  # ... and it does choose: some quotes differ
