"""The answer engine: question → quoted sentence(s), sources, and whether to answer at all.

The CLI, the eval and the bot all call `Engine.answer`, so the eval measures exactly what
readers get. The question is parsed once (`query.parse`); retrieval (`search.py`), quote
choice (`quote.py`) and the confidence (`confidence.py`) read that `Query`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from . import confidence
from .backends import Backend
from .backends.embedded import EmbeddedBackend
from .choose import Choice, choose
from .filters import Period
from .generation import Generation
from .keyterms import missing_key_terms, stands_on_nothing
from .query import Query, is_question, parse
from .quote import best_window, caption_sentences, coverage, highlights, quote_scores
from .rerank import Reranker
from .search import Candidate, Retriever, Weights
from .topk import minmax
from .tuning import DEFAULT, Calibration, Tuning
from .vectors import Encoder

log = logging.getLogger(__name__)
UNSEEN = "\uffff"  # no text has this term: its idf is the one of a word the index never saw


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


class Engine:
    def __init__(self, gen: Generation, embedder: Encoder | None = None, weights: Weights | None = None,
                 calibration: Calibration | None = None, tuning: Tuning = DEFAULT,
                 backend: Backend | None = None, reranker: Reranker | None = None) -> None:
        """`calibration` pins one fit for every answer (tests); by default the generation's
        fit for its model is used (`confidence.choose`). `backend`: what finds and scores
        passages (default: the generation's own arrays; `index.backends`). `reranker`: the
        cross-encoder that reads the top articles' best quotes (`index.choose`); None: word/cosine scores."""
        self.reranker = reranker
        self.gen = gen
        self.tuning = tuning
        self.retriever = Retriever(gen, embedder, weights or Weights.of(tuning), tuning,
                                   backend=backend or EmbeddedBackend(gen))
        self.calibration = calibration
        self.choice = confidence.choose(gen.path, gen.model if self.dense else None, tuning)
        if self.choice.fallback and calibration is None:
            log.warning("generation %s: %s; answers are judged without the cosine", gen.name, self.choice.source)

    @property
    def dense(self) -> bool:
        return self.retriever.embedder is not None

    def answer(self, question: str, k: int = 3, offset: int = 0, today: date | None = None) -> Answer:
        """Top `k` hits after skipping `offset` (paging), one per article; `today` pins the clock."""
        if not is_question(question):
            return Answer(question, False, 0.0, is_question=False)
        q = self._parse(question, today)
        res = self.retriever.search(q, max(offset + k, self.tuning.rerank_depth))
        if not res.candidates:
            return Answer(question, False, 0.0, debug={"restored": q.restored}, period=q.period)
        ranked = self._hits(question, q, res.candidates, res.query_vector)
        best, reader = ranked[0][1], ranked[0][2].reader
        art = self.gen.articles[best.article]
        bar = min(self.tuning.key_term_idf, self.retriever.backend.idf("exact" if q.accented else "folded", UNSEEN)) \
            if len(self.gen.articles) >= self.tuning.key_term_min_articles else float("inf")
        found = self._terms(q, f"{art.title}\n{ranked[0][0].context}")
        unrelated = stands_on_nothing(q, found)
        missing = missing_key_terms(q, found, bar,
                                    lambda: (f"{art.title}\n{art.text}\n{art.published or ''}",
                                             self._terms(q, f"{art.title}\n{art.text}")))
        p_cov = coverage(q.bigram_weights, self._terms(q, f"{art.title}. {self._passage(best)}"))
        a_cov = coverage(q.bigram_weights, self._terms(q, f"{art.title}\n{art.text}"))
        dense_used = q.dense_text is not None and self.dense and self.retriever.weights.mode != "bm25"
        cal = self.calibration or (self.choice.calibration if dense_used else self.tuning.lexical_calibration)
        conf = cal.confidence(p_cov, a_cov, best.cosine)
        sure = conf >= cal.threshold and not missing and not unrelated \
            and (reader is None or reader >= self.tuning.reader_floor)
        return Answer(question, sure, conf, tuple(h for h, _, _ in ranked[offset:offset + k]),
                      debug={"restored": q.restored, "restore_confidence": q.restore_confidence,
                             "passage_bigrams": p_cov, "article_bigrams": a_cov, "cosine": best.cosine,
                             "bm25": best.bm25, "dense": dense_used, "reader": reader,
                             "missing": {t: round(q.weights.get(t, 0.0), 2) for t in missing},
                             "unrelated": unrelated},
                      period=q.period)

    def first_quotes(self, question: str) -> tuple[int, list[tuple[float, str, str]]] | None:
        """The article ranked first for a question and each of its quotes, best-scored first:
        word/cosine score, its text (what the cross-encoder reads of it, before the title) and
        the quote as shown. What the cross-encoder learns to choose among (`train/pairs.py`)."""
        q = self._parse(question, None)
        res = self.retriever.search(q, self.tuning.rerank_depth)
        if not res.candidates:
            return None
        _, cand, _ = self._hits(question, q, res.candidates, res.query_vector)[0]
        text = self.gen.articles[cand.article].text
        sents, spans = self._quotes(cand, q, res.query_vector)
        spans = sorted(spans, key=lambda s: -s[0])  # stable: equal scores keep text order
        return cand.article, [(h, text[sents[a][0]:sents[b][1]], self._hit(cand, q, sents, Choice(a, b, None)).quote)
                              for h, a, b in spans]

    def _parse(self, question: str, today: date | None) -> Query:
        """The question read once (an unaccented one restored with the passages folded BM25
        ranks first; the embedded backend keeps those scores for the search)."""
        gen, backend = self.gen, self.retriever.backend

        def context(terms: list[str]) -> list[str]:
            return self._top_passages(backend.bm25_top("folded", terms, self.tuning.restore_context)[0])

        def weigh(term: str, folded: bool) -> float:
            return backend.idf("folded" if folded else "exact", term)

        q = parse(question, gen.analyzer, gen.lexicon, self.dense, context, self.retriever.clock(today), weigh,
                  self.tuning)
        return q

    def _rerank(self, cands: list[Candidate], best: list[float]) -> list[tuple[int, float]]:
        """The best quote of each article is a last, finer relevance signal for the top few:
        (candidate index, final score) in the final order. The cross-encoder has no say here."""
        t = self.tuning
        n = min(t.rerank_depth, len(cands))
        final = np.array([c.score for c in cands[:n]]) + t.rerank_weight * minmax(np.array(best[:n]))
        after = np.array([c.after for c in cands[:n]], dtype=bool)  # undated under a period
        order = [(int(i), float(final[i]) / (1 + t.rerank_weight)) for i in np.lexsort((-final, after))]
        return order + [(i, cands[i].score) for i in range(n, len(cands))]

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

    def _top_passages(self, top: np.ndarray) -> list[str]:
        """Text of the passages folded BM25 ranks first for an unaccented question."""
        spans = self.gen.chunk_span[top]
        arts = self.gen.chunk_article[top]
        return [self.gen.articles[int(a)].text[int(s):int(e)] for a, (s, e) in zip(arts, spans, strict=True)]

    def _passage(self, c: Candidate) -> str:
        start, end = (int(x) for x in self.gen.chunk_span[c.chunk])
        return self.gen.articles[c.article].text[start:end]

    def _hits(self, question: str, q: Query, cands: list[Candidate],
              qvec: np.ndarray | None) -> list[tuple[Hit, Candidate, Choice]]:
        """The candidates in their final order, each with its quote: the cross-encoder chooses
        among the best-scored few of the first articles, once their order is settled."""
        scored = [self._quotes(c, q, qvec) for c in cands]
        order = self._rerank(cands, [max(s[0] for s in spans) for _, spans in scored])
        arts = [self.gen.articles[cands[i].article] for i, _ in order]
        # the model reads Vietnamese with its marks: an unaccented question as restored
        read_as = q.restored if not q.accented and q.restored else question
        lists = [(a.text, *scored[i], a.title) for a, (i, _) in zip(arts, order, strict=True)]
        picks = choose(self.reranker, read_as, lists, self.tuning)
        return [(replace(self._hit(cands[i], q, scored[i][0], pick), score=score), cands[i], pick)
                for (i, score), pick in zip(order, picks, strict=True)]

    def _quotes(self, c: Candidate, q: Query,
                qvec: np.ndarray | None) -> tuple[list[tuple[int, int]], list[tuple[float, int, int]]]:
        """The article's sentences and the word/cosine score of each quote of one or two of
        them, with a prior for those of the retrieved passage and a penalty for captions."""
        gen = self.gen
        art = gen.articles[c.article]
        lo, hi = int(gen.article_sentence_ptr[c.article]), int(gen.article_sentence_ptr[c.article + 1])
        sents = [(int(a), int(b)) for a, b in gen.sentence_span[lo:hi]]
        rng = gen.sentence_range(c.chunk)
        cosines = None
        if qvec is not None and gen.sentence_embeddings is not None:
            cosines = np.asarray(gen.sentence_embeddings[lo:hi], dtype=np.float32) @ qvec
        spans = quote_scores(art.text, sents, q, lambda text: self._terms(q, text), self.tuning, cosines,
                             range(rng.start - lo, rng.stop - lo), caption_sentences(art.text, art.captions, sents))
        return sents, spans

    def _hit(self, c: Candidate, q: Query, sents: list[tuple[int, int]], pick: Choice) -> Hit:
        """The chosen quote (cut to its best clauses when too long) with a sentence either side."""
        art, tuning = self.gen.articles[c.article], self.tuning
        first, last = pick.first, pick.last
        qs, qe = sents[first][0], sents[last][1]
        if qe - qs > tuning.max_quote:
            qs, qe = best_window(art.text, qs, qe, q, lambda text: self._terms(q, text), tuning)
        # a quote cut inside its sentence says so, as a quotation would
        quote = ("…" if qs > sents[first][0] else "") + art.text[qs:qe] + ("…" if qe < sents[last][1] else "")
        cs, ce = sents[max(first - 1, 0)][0], sents[min(last + 1, len(sents) - 1)][1]
        return Hit(article_id=art.id, title=art.title, url=art.url, published=art.published,
                   topics=art.topics, quote=quote, quote_span=(qs, qe), context=art.text[cs:ce],
                   context_span=(cs, ce), score=c.score, highlights=highlights(quote, q))
