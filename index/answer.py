"""The answer engine: question → quoted sentence(s), sources, and whether to answer at all.

The CLI, the eval and the bot all call `Engine.answer`, so the eval measures
exactly what readers get.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .generation import Generation
from .lexical import Lexical
from .query import Query, is_question, parse
from .search import Candidate, Retriever, Weights
from .text import TOKEN_RE, fold, nfc, normalize
from .vectors import Embedder

MAX_QUOTE = 400


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

    def to_json(self) -> dict[str, object]:
        return {"answered": self.answered, "confidence": round(self.confidence, 4),
                "hits": [h.to_json() for h in self.hits]}


@dataclass(slots=True)
class Calibration:
    """Logistic model of P(the first hit answers) from two features; see docs/answers.md."""

    bias: float = -4.0
    coverage: float = 6.0  # idf-weighted share of question terms found in the best passage
    cosine: float = 4.0  # cosine of the best passage (0 when dense is off)
    threshold: float = 0.5

    def confidence(self, coverage: float, cosine: float) -> float:
        z = self.bias + self.coverage * coverage + self.cosine * cosine
        return 1.0 / (1.0 + math.exp(-z))


class Engine:
    def __init__(self, gen: Generation, embedder: Embedder | None = None,
                 weights: Weights | None = None, calibration: Calibration | None = None) -> None:
        self.gen = gen
        self.retriever = Retriever(gen, embedder, weights)
        self.calibration = calibration or Calibration()

    @property
    def dense(self) -> bool:
        return self.retriever.embedder is not None

    def answer(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        """Top `k` hits after skipping `offset` (paging), one per article."""
        if not is_question(question):
            return Answer(question, False, 0.0, is_question=False)
        gen = self.gen
        q = parse(question, gen.analyzer, gen.lexicon, self.dense)
        cands = self.retriever.search(q, offset + k)
        if not cands:
            return Answer(question, False, 0.0, debug={"restored": q.restored})
        field_ = gen.exact if q.accented else gen.folded
        qterms = _weighted_terms(q, field_)
        hits = [self._hit(c, q, qterms, field_) for c in cands[offset:]]
        best = cands[0]
        cov = _coverage(qterms, self._terms(q, self._context(best)[2]))
        conf = self.calibration.confidence(cov, best.cosine if self.dense else 0.0)
        return Answer(question, conf >= self.calibration.threshold, conf, tuple(hits),
                      debug={"restored": q.restored, "restore_confidence": q.restore_confidence,
                             "coverage": cov, "cosine": best.cosine, "bm25": best.bm25})

    def _terms(self, q: Query, text: str) -> set[str]:
        return set(self.gen.analyzer.terms(text, folded=not q.accented))

    def _context(self, c: Candidate) -> tuple[int, int, str]:
        start, end = (int(x) for x in self.gen.chunk_span[c.chunk])
        return start, end, self.gen.articles[c.article].text[start:end]

    def _hit(self, c: Candidate, q: Query, qterms: dict[str, float], field_: Lexical) -> Hit:
        art = self.gen.articles[c.article]
        start, end, context = self._context(c)
        sents = [(int(a), int(b)) for a, b in self.gen.chunk_sentences(c.chunk)]
        qs, qe = _best_quote(art.text, sents, qterms, lambda t: self._terms(q, t))
        quote = art.text[qs:qe]
        if len(quote) > MAX_QUOTE:
            qs, qe = _best_window(art.text, qs, qe, qterms, lambda t: self._terms(q, t))
            quote = art.text[qs:qe]
        return Hit(article_id=art.id, title=art.title, url=art.url, published=art.published,
                   topics=art.topics, quote=quote, quote_span=(qs, qe), context=context,
                   context_span=(start, end), score=c.score,
                   highlights=_highlights(quote, qterms, folded=not q.accented))


def _weighted_terms(q: Query, field_: Lexical) -> dict[str, float]:
    return {t: field_.idf(t) for t in dict.fromkeys(q.terms)}


def _coverage(qterms: dict[str, float], found: set[str]) -> float:
    total = sum(qterms.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in qterms.items() if t in found) / total


def _best_quote(text: str, sents: list[tuple[int, int]], qterms: dict[str, float],
                terms_of: object) -> tuple[int, int]:
    """The one or two consecutive sentences (≤ MAX_QUOTE chars) covering the most
    idf-weighted question terms; ties go to the shorter quote."""
    assert callable(terms_of)
    sets = [terms_of(text[a:b]) for a, b in sents]
    best: tuple[float, int, tuple[int, int]] | None = None
    for i, (a, b) in enumerate(sents):
        options = [(a, b, sets[i])]
        if i + 1 < len(sents) and sents[i + 1][1] - a <= MAX_QUOTE:
            options.append((a, sents[i + 1][1], sets[i] | sets[i + 1]))
        for s, e, found in options:
            score = sum(w for t, w in qterms.items() if t in found)
            key = (score, -(e - s), (s, e))
            if best is None or key[:2] > best[:2]:
                best = key
    assert best is not None
    return best[2]


_CLAUSE = re.compile(r"[,;:]\s+")


def _best_window(text: str, start: int, end: int, qterms: dict[str, float],
                 terms_of: object) -> tuple[int, int]:
    """A sentence longer than MAX_QUOTE: the best run of whole clauses that fits."""
    assert callable(terms_of)
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
        score = sum(w for t, w in qterms.items() if t in found)
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

