"""Training groups for the cross-encoder: a question, one quote that holds its answer, and
quotes that do not, each shown as the engine shows it (`index.rerank.candidate_text`).

Dev questions are split into folds by their article (`index.folds`): the groups of a fold's
training come only from questions and articles of the other folds.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from index.engine import Engine
from index.evaluate import norm
from index.folds import fold_of, qa_fold
from index.rerank import candidate_text
from index.text import fold, sentence_spans

GROUP = 4  # one positive and three negatives: softmax loss
FOLDED_SHARE = 0.3  # readers type without tone marks: this share of questions is trained folded


@dataclass(frozen=True, slots=True)
class Group:
    question: str
    texts: tuple[str, ...]  # texts[0] holds the answer


def _pick_negatives(sents: list[str], pos: int, holders: set[int], question: str) -> list[str]:
    """Neighbours of the answer first, then the sentences sharing most words with the question."""
    words = set(fold(question).lower().split())
    order = [i for i in (pos - 1, pos + 1) if 0 <= i < len(sents) and i not in holders]
    rest = [i for i in range(len(sents)) if i not in holders and i not in order]
    rest.sort(key=lambda i: -len(words & set(fold(sents[i]).lower().split())))
    return [sents[i] for i in (order + rest)[:GROUP - 1]]


def dev_groups(engine: Engine, items: Iterable[dict[str, Any]]) -> Iterator[Group]:
    """Groups from answerable dev questions whose article the engine ranks first: the
    best-scored quote holding the answer against the best-scored ones that do not — the
    chooser's own confusions, which are what the model is there to settle."""
    limit = engine.tuning.max_quote
    for item in items:
        answers = [norm(str(x)) for x in item.get("answers") or [] if str(x).strip()]
        found = engine.first_quotes(str(item["question"])) if answers else None
        if found is None or engine.gen.articles[found[0]].url != item.get("url"):
            continue
        title = engine.gen.articles[found[0]].title
        holds = [len(shown.strip("…")) <= limit and any(a in norm(shown) for a in answers) for _, _, shown in found[1]]
        texts = [candidate_text(text, "", title) for _, text, _ in found[1]]
        pos = [t for t, ok in zip(texts, holds, strict=True) if ok]
        negs = [t for t, ok in zip(texts, holds, strict=True) if not ok][:GROUP - 1]  # the best-scored
        if pos and negs:
            yield Group(str(item["question"]), (pos[0], *negs))


def extra_groups(extra: list[dict[str, Any]], rng: random.Random) -> Iterator[Group]:
    """Groups from other-domain QA: the answer's sentence of the context against its others."""
    rows = list(extra)
    rng.shuffle(rows)
    for item in rows:
        ctx, answer = str(item["context"]), norm(str(item["answer"]))
        sents = [ctx[s:e] for s, e in sentence_spans(ctx)]
        holders = {i for i, s in enumerate(sents) if answer and answer in norm(s)}
        if not holders or len(sents) < 3:
            continue
        pos = min(holders)
        shown = [candidate_text(s, "", "") for s in sents]
        negs = _pick_negatives(shown, pos, holders, str(item["question"]))
        if len(negs) >= 2:
            yield Group(_maybe_fold(str(item["question"]), rng), (shown[pos], *negs))


def harvest(engine: Engine, items: list[dict[str, Any]], folds: int) -> list[tuple[int, Group]]:
    """Every dev group with the fold of its question's article, read once for all trainings."""
    return [(qa_fold(i, folds), g) for i in items for g in dev_groups(engine, [i])]


def training_groups(dev: list[tuple[int, Group]], extra: list[dict[str, Any]], held_out: int | None, seed: int,
                    max_groups: int = 0) -> list[Group]:
    """The groups that train the model for `held_out` (None: the final model, every fold)."""
    rng = random.Random(seed)
    groups = [g for f, g in dev if f != held_out]
    groups += list(extra_groups(extra, rng))
    if max_groups:
        rng.shuffle(groups)
        groups = groups[:max_groups]
    return groups


def _maybe_fold(question: str, rng: random.Random) -> str:
    return fold(question) if rng.random() < FOLDED_SHARE else question


__all__ = ["GROUP", "Group", "dev_groups", "extra_groups", "fold_of", "harvest", "qa_fold", "training_groups"]
