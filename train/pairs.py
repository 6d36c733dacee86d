"""Training groups for the cross-encoder: a question, one sentence that holds its answer,
and sentences that do not, each shown as the engine shows it (`index.rerank.candidate_text`).

Dev questions are split into folds by their article (`index.folds`): the groups of a fold's
training come only from questions and articles of the other folds.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.evaluate import norm, read_qa
from index.folds import fold_of, qa_fold
from index.generation import Generation
from index.rerank import candidate_text
from index.text import fold, sentence_spans

GROUP = 4  # one positive and three negatives (both neighbours, the closest in words): softmax loss
EXTRA_GROUPS = 600  # other-domain groups: enough to add variety, few enough to keep news the bulk
FOLDED_SHARE = 0.3  # readers type without tone marks: this share of questions is trained folded


@dataclass(frozen=True, slots=True)
class Group:
    question: str
    texts: tuple[str, ...]  # texts[0] holds the answer


def _sentences(gen: Generation, a: int) -> list[str]:
    art = gen.articles[a]
    lo, hi = int(gen.article_sentence_ptr[a]), int(gen.article_sentence_ptr[a + 1])
    return [art.text[int(s):int(e)] for s, e in gen.sentence_span[lo:hi]]


def _pick_negatives(sents: list[str], pos: int, holders: set[int], question: str, rng: random.Random,
                    others: list[str]) -> list[str]:
    """Neighbours of the answer first (the chooser's usual mistake), then the sentences sharing
    most words with the question, then sentences of other articles."""
    words = set(fold(question).lower().split())
    order = [i for i in (pos - 1, pos + 1) if 0 <= i < len(sents) and i not in holders]
    rest = [i for i in range(len(sents)) if i not in holders and i not in order]
    rest.sort(key=lambda i: -len(words & set(fold(sents[i]).lower().split())))
    picked = [sents[i] for i in (order + rest)[:GROUP - 1]]
    pool = others + [s for i, s in enumerate(sents) if i not in holders and s not in picked]
    while len(picked) < GROUP - 1 and pool:
        picked.append(pool.pop(rng.randrange(len(pool))))
    return picked


def dev_groups(gen: Generation, items: Iterable[dict[str, Any]], rng: random.Random,
               previous: bool = True) -> Iterator[Group]:
    """Groups from answerable dev questions whose answer lies inside one sentence."""
    by_url = {art.url: a for a, art in enumerate(gen.articles)}
    items = list(items)
    # negatives from other articles come only from these questions' articles: a held-out
    # fold's text must not train the model that scores it
    urls = sorted({str(i.get("url")) for i in items if str(i.get("url")) in by_url})
    for item in items:
        a = by_url.get(str(item.get("url")))
        answers = [norm(str(x)) for x in item.get("answers") or [] if str(x).strip()]
        # the NFD and unaccented variants repeat vinewsqa questions; FOLDED_SHARE stands in for them
        if a is None or not answers or {"nfd", "no-diacritics"} & set(item.get("tags", ())):
            continue
        title = gen.articles[a].title
        sents = _sentences(gen, a)
        holders = {i for i, s in enumerate(sents) if any(ans in norm(s) for ans in answers)}
        if not holders:
            continue
        pos = min(holders)
        other = by_url[urls[rng.randrange(len(urls))]]
        others = [candidate_text(s, p if previous else "", gen.articles[other].title)
                  for s, p in zip(_sentences(gen, other), ["", *_sentences(gen, other)], strict=False)][:20]
        ctx = [candidate_text(s, sents[i - 1] if i and previous else "", title) for i, s in enumerate(sents)]
        negs = _pick_negatives(ctx, pos, holders, str(item["question"]), rng, others)
        yield Group(_maybe_fold(str(item["question"]), rng), (ctx[pos], *negs))


def extra_groups(path: Path, rng: random.Random, previous: bool = True) -> Iterator[Group]:
    """Groups from other-domain QA: the answer's sentence of the context against its others."""
    rows = read_qa(path)
    rng.shuffle(rows)
    made = 0
    for item in rows:
        if made >= EXTRA_GROUPS:
            return
        ctx, answer = str(item["context"]), norm(str(item["answer"]))
        sents = [ctx[s:e] for s, e in sentence_spans(ctx)]
        holders = {i for i, s in enumerate(sents) if answer and answer in norm(s)}
        if not holders or len(sents) < 3:
            continue
        pos = min(holders)
        shown = [candidate_text(s, sents[i - 1] if i and previous else "", "") for i, s in enumerate(sents)]
        negs = _pick_negatives(shown, pos, holders, str(item["question"]), rng, [])
        if len(negs) >= 2:
            made += 1
            yield Group(_maybe_fold(str(item["question"]), rng), (shown[pos], *negs))


def training_groups(gen: Generation, items: list[dict[str, Any]], extra: Path | None, held_out: int | None,
                    folds: int, seed: int, max_groups: int = 0, previous: bool = True) -> list[Group]:
    """The groups that train the model for `held_out` (None: the final model, every fold);
    `previous`: candidates are shown with the sentence before them."""
    rng = random.Random(seed)
    mine = [i for i in items if held_out is None or qa_fold(i, folds) != held_out]
    groups = list(dev_groups(gen, mine, rng, previous))
    if extra is not None:
        groups += list(extra_groups(extra, rng, previous))
    if max_groups:
        rng.shuffle(groups)
        groups = groups[:max_groups]
    return groups


def _maybe_fold(question: str, rng: random.Random) -> str:
    return fold(question) if rng.random() < FOLDED_SHARE else question


__all__ = ["GROUP", "Group", "dev_groups", "extra_groups", "fold_of", "qa_fold", "training_groups"]
