"""The answer engine: question → quoted sentence(s), sources, and whether to answer at all.

The CLI, the eval and the bot all call `Engine.answer`, so the eval measures
exactly what readers get.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Set
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from .filters import Period
from .generation import Generation
from .lexical import Field
from .query import Query, is_question, parse
from .search import Candidate, Retriever, Weights, minmax
from .text import TOKEN_RE, fold, nfc, normalize, raw_tokens
from .vectors import Encoder

MAX_QUOTE = 400
RERANK_DEPTH = 5  # articles whose best quote re-orders the top (+0.45 ans@1 on dev)
RERANK_WEIGHT = 0.2
RESTORE_CONTEXT = 20  # passages whose words guide accent restoration


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: str
    title: str
    url: str | None
    published: str | None
    topics: tuple[str, ...]
    quote: str
    quote_span: tuple[int, int]  # offsets into the article's text
    context: str
    context_span: tuple[int, int]
    score: float
    highlights: tuple[tuple[int, int], ...]  # spans inside `quote` to show in bold

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "url": self.url, "published": self.published,
                "topics": list(self.topics), "quote": self.quote, "context": self.context,
                "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answered: bool
    confidence: float
    hits: tuple[Hit, ...] = ()
    is_question: bool = True
    debug: dict[str, object] = field(default_factory=dict)
    period: Period | None = None  # the publication period the question named ("Trong tháng 3/2025: …")

    def to_json(self) -> dict[str, object]:
        return {"answered": self.answered, "confidence": round(self.confidence, 4),
                "hits": [h.to_json() for h in self.hits], **({"period": self.period.label} if self.period else {})}


@dataclass(frozen=True, slots=True)
class Calibration:
    """Logistic model of P(the first hit comes from an article that answers).

    Features: idf-weighted share of the question's bigrams found in the best
    passage and in its whole article, and the passage's cosine. Fitted on the dev
    split (answerable questions, the same questions with their article removed,
    and the unanswerable ones); the threshold answers 96% of answerable ones.
    Cosine values are those of multilingual-e5-small: another model needs a refit.
    """

    bias: float
    passage_bigrams: float
    article_bigrams: float
    cosine: float
    threshold: float

    def confidence(self, passage_bigrams: float, article_bigrams: float, cosine: float) -> float:
        z = (self.bias + self.passage_bigrams * passage_bigrams + self.article_bigrams * article_bigrams
             + self.cosine * cosine)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


DENSE_CALIBRATION = Calibration(bias=-29.24, passage_bigrams=3.81, article_bigrams=1.84, cosine=31.65,
                                threshold=0.175)
LEXICAL_CALIBRATION = Calibration(bias=-2.08, passage_bigrams=3.16, article_bigrams=4.04, cosine=0.0,
                                  threshold=0.226)


class Engine:
    def __init__(self, gen: Generation, embedder: Encoder | None = None,
                 weights: Weights | None = None, calibration: Calibration | None = None) -> None:
        self.gen = gen
        self.retriever = Retriever(gen, embedder, weights or Weights())
        self.calibration = calibration

    @property
    def dense(self) -> bool:
        return self.retriever.embedder is not None

    def answer(self, question: str, k: int = 3, offset: int = 0, today: date | None = None) -> Answer:
        """Top `k` hits after skipping `offset` (paging), one per article; `today` pins the clock."""
        if not is_question(question):
            return Answer(question, False, 0.0, is_question=False)
        gen = self.gen
        folded_scores: list[np.ndarray] = []  # restoration's folded BM25, reused by the search

        def context(terms: list[str]) -> list[str]:
            folded_scores.append(gen.folded.scores(terms))
            return self._top_passages(folded_scores[-1])

        q = parse(question, gen.analyzer, gen.lexicon, self.dense, context, self.retriever.clock(today))
        depth = max(offset + k, RERANK_DEPTH)
        res = self.retriever.search(q, depth, folded_scores[-1] if folded_scores else None)
        if not res.candidates:
            return Answer(question, False, 0.0, debug={"restored": q.restored}, period=q.period)
        field_ = gen.exact if q.accented else gen.folded
        qterms = _weighted_terms(q, field_)
        quoted = [self._hit(c, q, qterms, res.query_vector) for c in res.candidates]
        # The best quote of each article is a last, finer relevance signal for the top few.
        top = quoted[:RERANK_DEPTH]
        final = np.array([h.score for h, _ in top]) + RERANK_WEIGHT * minmax(np.array([s for _, s in top]))
        after = np.array([c.after for c in res.candidates[:len(top)]], dtype=bool)  # undated under a period
        order = list(np.lexsort((-final, after))) + list(range(len(top), len(quoted)))
        ranked = [(replace(quoted[i][0], score=float(final[i]) / (1 + RERANK_WEIGHT)) if i < len(top)
                   else quoted[i][0], res.candidates[i]) for i in order]
        hits = [h for h, _ in ranked[offset:offset + k]]
        best = ranked[0][1]
        art = gen.articles[best.article]
        bigrams = {t: w for t, w in qterms.items() if " " in t} or qterms
        p_cov = _coverage(bigrams, self._terms(q, f"{art.title}. {self._passage(best)}"))
        a_cov = _coverage(bigrams, self._terms(q, f"{art.title}\n{art.text}"))
        dense_used = q.dense_text is not None and self.dense and self.retriever.weights.mode != "bm25"
        cal = self.calibration or (DENSE_CALIBRATION if dense_used else LEXICAL_CALIBRATION)
        conf = cal.confidence(p_cov, a_cov, best.cosine)
        return Answer(question, conf >= cal.threshold, conf, tuple(hits),
                      debug={"restored": q.restored, "restore_confidence": q.restore_confidence,
                             "passage_bigrams": p_cov, "article_bigrams": a_cov, "cosine": best.cosine,
                             "bm25": best.bm25}, period=q.period)

    def _terms(self, q: Query, text: str) -> frozenset[str]:
        return self._term_cache(text, not q.accented)

    @functools.cached_property
    def _term_cache(self) -> Callable[[str, bool], frozenset[str]]:
        """Terms of a sentence or passage, cached per engine (one generation): questions
        about the same story score the same sentences again."""
        analyzer = self.gen.analyzer

        @functools.lru_cache(maxsize=20_000)
        def terms(text: str, folded: bool) -> frozenset[str]:
            return frozenset(analyzer.terms(text, folded=folded))
        return terms

    def _top_passages(self, scores: np.ndarray) -> list[str]:
        """Text of the passages folded BM25 ranks first for an unaccented question."""
        k = min(RESTORE_CONTEXT, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        spans = self.gen.chunk_span[top[scores[top] > 0]]
        arts = self.gen.chunk_article[top[scores[top] > 0]]
        return [self.gen.articles[int(a)].text[int(s):int(e)] for a, (s, e) in zip(arts, spans, strict=True)]

    def _passage(self, c: Candidate) -> str:
        start, end = (int(x) for x in self.gen.chunk_span[c.chunk])
        return self.gen.articles[c.article].text[start:end]

    def _hit(self, c: Candidate, q: Query, qterms: dict[str, float],
             qvec: np.ndarray | None) -> tuple[Hit, float]:
        """The quote is chosen among all sentences of the hit's article, with a prior for
        those of its best passage; the context is the quote with a sentence either side."""
        gen = self.gen
        art = gen.articles[c.article]
        lo, hi = int(gen.article_sentence_ptr[c.article]), int(gen.article_sentence_ptr[c.article + 1])
        sents = [(int(a), int(b)) for a, b in gen.sentence_span[lo:hi]]
        rng = gen.sentence_range(c.chunk)
        cosines = None
        if qvec is not None and gen.sentence_embeddings is not None:
            cosines = np.asarray(gen.sentence_embeddings[lo:hi], dtype=np.float32) @ qvec
        known = {t.text for t in raw_tokens(q.text) if t.text[0].isdigit()}

        def answers_kind(sentence: str) -> bool:
            return _answers_kind(sentence, q.expects, qterms, known)

        captions = _caption_sentences(art.text, art.captions, sents)
        first, last, quote_score = _best_quote(
            art.text, sents, qterms, lambda t: self._terms(q, t), cosines, answers_kind,
            range(rng.start - lo, rng.stop - lo), q.expects, captions)
        qs, qe = sents[first][0], sents[last][1]
        if qe - qs > MAX_QUOTE:
            qs, qe = _best_window(art.text, qs, qe, qterms, lambda t: self._terms(q, t), answers_kind,
                                  KIND_BONUS.get(q.expects or "", 0.0))
        quote = art.text[qs:qe]
        cs, ce = sents[max(first - 1, 0)][0], sents[min(last + 1, len(sents) - 1)][1]
        return Hit(article_id=art.id, title=art.title, url=art.url, published=art.published,
                   topics=art.topics, quote=quote, quote_span=(qs, qe), context=art.text[cs:ce],
                   context_span=(cs, ce), score=c.score,
                   highlights=_highlights(quote, qterms, folded=not q.accented)), quote_score


def _weighted_terms(q: Query, field_: Field) -> dict[str, float]:
    return {t: field_.idf(t) for t in dict.fromkeys(q.terms)}


def _coverage(qterms: dict[str, float], found: Set[str]) -> float:
    total = sum(qterms.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in qterms.items() if t in found) / total


# Quote choice, tuned on the dev split (docs/answers.md): the sentence's own cosine
# weighs most; a pair of sentences holds the answer more often than one; the best
# passage's sentences get a small prior.
SENTENCE_COSINE = 6.0
PAIR_BONUS = 0.05
PASSAGE_PRIOR = 0.05
# Photo captions restate the event in the question's words but rarely hold the fact asked for.
CAPTION_PENALTY = 0.3
# A sentence holding the kind of answer asked for: a date for "khi nào / ngày nào"
# (a quote without one cannot answer), a number near a question word for "bao nhiêu".
KIND_BONUS = {"date": 0.1, "number": 0.1}
NEAR = 3  # tokens either side of the number


def _best_quote(text: str, sents: list[tuple[int, int]], qterms: dict[str, float],
                terms_of: Callable[[str], Set[str]], cosines: np.ndarray | None,
                answers_kind: Callable[[str], bool] | None = None, passage: range = range(0),
                kind: str | None = None, captions: frozenset[int] = frozenset()) -> tuple[int, int, float]:
    """(first, last, score) of the one or two consecutive sentences (≤ MAX_QUOTE chars,
    unless a single sentence is longer) that best match the question."""
    sets = [terms_of(text[a:b]) for a, b in sents]
    new_number = [answers_kind is not None and answers_kind(text[a:b]) for a, b in sents]
    kind_bonus = KIND_BONUS.get(kind or "", 0.0)
    total = sum(qterms.values()) or 1.0
    best: tuple[float, int, int] | None = None
    for i, (a, _) in enumerate(sents):
        for last in (i, i + 1):
            if last >= len(sents) or (last > i and sents[last][1] - a > MAX_QUOTE):
                continue
            found = set().union(*sets[i:last + 1])
            score = sum(w for t, w in qterms.items() if t in found) / total
            if cosines is not None:
                score += SENTENCE_COSINE * float(cosines[i:last + 1].max())
            if last > i:
                score += PAIR_BONUS
            if any(new_number[i:last + 1]):
                score += kind_bonus
            if i in passage:
                score += PASSAGE_PRIOR
            if i in captions or last in captions:
                score -= CAPTION_PENALTY
            if best is None or score > best[0] + 1e-12:
                best = (score, i, last)
    assert best is not None
    return best[1], best[2], best[0]


def _caption_sentences(text: str, captions: tuple[str, ...], sents: list[tuple[int, int]]) -> frozenset[int]:
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


def _answers_kind(sentence: str, kind: str | None, qterms: dict[str, float], known: set[str]) -> bool:
    """Does the sentence hold a date (for a date question) or a number near a
    question word (for a how-many question) that the question does not already give?"""
    if kind == "date":
        return any(m.group() not in known for m in _DATE.finditer(sentence))
    return kind == "number" and _number_near(sentence, qterms, known)


def _number_near(sentence: str, qterms: dict[str, float], known: set[str]) -> bool:
    """A number the question does not contain, within NEAR tokens of a question word."""
    toks = [t.text for t in raw_tokens(sentence)]
    words = {t for t, w in qterms.items() if " " not in t and w > 1.0}
    folded_words = {fold(t) for t in words}
    for i, tok in enumerate(toks):
        if tok[0].isdigit() and tok not in known:
            near = toks[max(0, i - NEAR):i] + toks[i + 1:i + 1 + NEAR]
            if any(t in words or fold(t) in folded_words for t in near):
                return True
    return False


_CLAUSE = re.compile(r"[,;:]\s+")


def _best_window(text: str, start: int, end: int, qterms: dict[str, float],
                 terms_of: Callable[[str], Set[str]], answers_kind: Callable[[str], bool],
                 kind_bonus: float) -> tuple[int, int]:
    """A sentence longer than MAX_QUOTE: the best run of whole clauses that fits."""
    cuts = [start] + [m.end() for m in _CLAUSE.finditer(text, start, end)] + [end]
    best = (-1.0, start, min(end, start + MAX_QUOTE))
    for i in range(len(cuts) - 1):
        j = i + 1
        while j + 1 < len(cuts) and cuts[j + 1] - cuts[i] <= MAX_QUOTE:
            j += 1
        s, e = cuts[i], cuts[j]
        if e - s > MAX_QUOTE:
            e = s + MAX_QUOTE
            while e > s and not text[e - 1].isspace():
                e -= 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:"):
            e -= 1
        found = terms_of(text[s:e])
        total = sum(qterms.values()) or 1.0
        score = sum(w for t, w in qterms.items() if t in found) / total
        score += kind_bonus if answers_kind(text[s:e]) else 0.0
        if score > best[0]:
            best = (score, s, e)
    return best[1], best[2]


def _highlights(quote: str, qterms: dict[str, float], folded: bool) -> tuple[tuple[int, int], ...]:
    """Spans of quote words that are question words with some weight (idf > 1)."""
    words = {t for t, w in qterms.items() if " " not in t and w > 1.0}
    spans: list[tuple[int, int]] = []
    text = nfc(quote)
    for m in TOKEN_RE.finditer(text):
        tok = normalize(m.group())
        if folded:
            tok = fold(tok)
        if tok in words:
            if spans and not text[spans[-1][1]:m.start()].strip():
                spans[-1] = (spans[-1][0], m.end())
            else:
                spans.append((m.start(), m.end()))
    return tuple(spans)

