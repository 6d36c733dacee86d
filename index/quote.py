"""Which words of an article answer the question: the quote, its window, its bold words.

Among all sentences of a hit's article, the one or two consecutive sentences that best
match the question (`best_quote`); a single sentence too long to quote is cut to its best
run of whole clauses (`best_window`). Every weight is `Tuning`'s (docs/answers.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set

import numpy as np

from .query import Query
from .text import TOKEN_RE, fold, nfc, normalize, raw_tokens
from .tuning import Tuning

_GAP = re.compile(r"\s*")  # two tokens read as a phrase only with nothing but space between
Terms = Callable[[str], Set[str]]  # the analyser's terms of a piece of text, routed like the question


def coverage(weights: dict[str, float], found: Set[str]) -> float:
    """The idf-weighted share of the question's terms found in a piece of text (0 when no
    term weighs anything: idf is never negative)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in found) / total


def best_quote(text: str, sents: list[tuple[int, int]], q: Query, terms_of: Terms, tuning: Tuning,
               cosines: np.ndarray | None = None, passage: range = range(0),
               captions: frozenset[int] = frozenset()) -> tuple[int, int, float]:
    """(first, last, score) of the one or two consecutive sentences (≤ max_quote chars,
    unless a single sentence is longer) that best match the question."""
    score, first, last = max(quote_scores(text, sents, q, terms_of, tuning, cosines, passage, captions),
                             key=lambda s: s[0])  # max keeps the first of equal scores
    return first, last, score


def quote_scores(text: str, sents: list[tuple[int, int]], q: Query, terms_of: Terms, tuning: Tuning,
                 cosines: np.ndarray | None = None, passage: range = range(0),
                 captions: frozenset[int] = frozenset()) -> list[tuple[float, int, int]]:
    """(score, first, last) of every quote of one or two consecutive sentences, in text order."""
    sets = [terms_of(text[a:b]) for a, b in sents]
    kind = [answers_kind(text[a:b], q, tuning) for a, b in sents]
    kind_bonus = tuning.kind_bonus(q.expects)
    out: list[tuple[float, int, int]] = []
    for i, (a, _) in enumerate(sents):
        for last in (i, i + 1):
            if last >= len(sents) or (last > i and sents[last][1] - a > tuning.max_quote):
                continue
            score = coverage(q.weights, set().union(*sets[i:last + 1]))
            if cosines is not None:
                score += tuning.quote_cosine * float(cosines[i:last + 1].max())
            if last > i:
                score += tuning.pair_bonus
            if any(kind[i:last + 1]):
                score += kind_bonus
            if i in passage:
                score += tuning.passage_prior
            if i in captions or last in captions:
                score -= tuning.caption_penalty
            out.append((score, i, last))
    return out


def caption_sentences(text: str, captions: tuple[str, ...], sents: list[tuple[int, int]]) -> frozenset[int]:
    """Indices of the sentences that belong to a photo caption paragraph."""
    if not captions:
        return frozenset()
    spans, pos = [], 0
    wanted = set(captions)
    for para in text.split("\n\n"):
        if para in wanted:
            spans.append((pos, pos + len(para)))
        pos += len(para) + 2
    return frozenset(i for i, (a, _) in enumerate(sents) if any(s <= a < e for s, e in spans))


_DATE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b(?:[Nn]ăm|[Tt]háng|[Nn]gày) \d{1,4}\b")


def answers_kind(sentence: str, q: Query, tuning: Tuning) -> bool:
    """Does the sentence hold a date (for a date question) or a number near a
    question word (for a how-many question) that the question does not already give?"""
    if q.expects == "date":
        return any(m.group() not in q.numbers for m in _DATE.finditer(sentence))
    return q.expects == "number" and _number_near(sentence, q, tuning.number_near)


def _number_near(sentence: str, q: Query, near: int) -> bool:
    """A number the question does not contain, within `near` tokens of a content word."""
    toks = [t.text for t in raw_tokens(sentence)]
    for i, tok in enumerate(toks):
        if tok[0].isdigit() and tok not in q.numbers:
            around = toks[max(0, i - near):i] + toks[i + 1:i + 1 + near]
            if any(t in q.content or fold(t) in q.content_folded for t in around):
                return True
    return False


_CLAUSE = re.compile(r"[,;:]\s+")


def best_window(text: str, start: int, end: int, q: Query, terms_of: Terms, tuning: Tuning) -> tuple[int, int]:
    """A sentence longer than max_quote: the best run of whole clauses that fits."""
    limit = tuning.max_quote
    cuts = [start] + [m.end() for m in _CLAUSE.finditer(text, start, end)] + [end]
    best = (-1.0, start, min(end, start + limit))
    for i in range(len(cuts) - 1):
        j = i + 1
        while j + 1 < len(cuts) and cuts[j + 1] - cuts[i] <= limit:
            j += 1
        s, e = cuts[i], cuts[j]
        if e - s > limit:
            e = s + limit
            while e > s and not text[e - 1].isspace():
                e -= 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:"):
            e -= 1
        score = coverage(q.weights, terms_of(text[s:e]))
        score += tuning.kind_bonus(q.expects) if answers_kind(text[s:e], q, tuning) else 0.0
        if score > best[0]:
            best = (score, s, e)
    return best[1], best[2]


def highlights(quote: str, q: Query) -> tuple[tuple[int, int], ...]:
    """Spans of the quote to show in bold: the question's phrases where two of their
    syllables follow each other, and its lone content words — not a syllable that only
    shares its spelling with part of a question phrase ("số" of "chỉ số")."""
    text = nfc(quote)
    toks = [(m.start(), m.end(), normalize(m.group())) for m in TOKEN_RE.finditer(text)]
    forms = [tok if q.accented else fold(tok) for _, _, tok in toks]
    bold = [f in q.alone for f in forms]
    for i in range(len(toks) - 1):
        if f"{forms[i]} {forms[i + 1]}" in q.phrases and _GAP.fullmatch(text, toks[i][1], toks[i + 1][0]):
            bold[i] = bold[i + 1] = True
    spans: list[tuple[int, int]] = []
    for (start, end, _), on in zip(toks, bold, strict=True):
        if not on:
            continue
        if spans and not text[spans[-1][1]:start].strip():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return tuple(spans)
