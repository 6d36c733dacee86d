"""A question as people type it → what each retriever should see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from .accents import Lexicon
from .dates import Period, parse_time
from .text import Analyzer, fold, has_marks, nfc, normalize

# Below this restoration confidence the dense retriever is skipped for an
# unaccented question: dense on raw unaccented text measured 10.4 art@1 here.
RESTORE_MIN_CONFIDENCE = 0.75

_GREETINGS = {
    "xin chao", "chao", "chao ban", "chao bot", "hello", "hi", "hey", "alo", "a lo", "cam on",
    "cam on ban", "thanks", "thank you", "ok", "oke", "okay", "test", "hihi", "haha", "bye",
    "tam biet", "good morning", "chao buoi sang", "ban la ai", "ban oi", "e", "uh", "um",
}
# Questions whose answer is a date, or a number or rank (folded forms).
_DATE_Q = re.compile(r"\b(?:ngay nao|khi nao|bao gio|thang nao|nam nao|luc nao|thoi gian nao|hom nao)\b")
_NUMBER_Q = re.compile(r"\b(?:bao nhieu|may|bao lau|ty le|thu hang|muc nao|bao xa)\b")


def expects(text: str) -> str | None:
    """"date", "number" or None: what kind of answer the question asks for."""
    folded = fold(nfc(text)).lower()
    if _DATE_Q.search(folded):
        return "date"
    return "number" if _NUMBER_Q.search(folded) else None


@dataclass(frozen=True, slots=True)
class Query:
    text: str  # NFC, tone placement normalised, original case
    accented: bool
    terms: list[str]  # for the BM25 field it is routed to
    dense_text: str | None  # what the encoder sees; None = skip dense
    restored: str | None  # accent restoration of an unaccented question
    restore_confidence: float | None
    expects: str | None = None  # "date" / "number": the kind of answer asked for
    period: Period | None = None  # publication period named in the question ("tháng 3/2025")
    recent: bool = False  # "mới nhất", "gần đây", "vừa qua"
    today: date | None = None  # what the period and recency were read against


def is_question(text: str) -> bool:
    """Greetings, empty or one-character messages are not questions."""
    folded = re.sub(r"[^\w\s]", " ", fold(nfc(text)).lower())
    words = folded.split()
    if not words or sum(len(w) for w in words) < 2:
        return False
    return " ".join(words) not in _GREETINGS


def parse(question: str, analyzer: Analyzer, lexicon: Lexicon, dense: bool,
          context: Callable[[list[str]], list[str]] | None = None, today: date | None = None) -> Query:
    """`context(folded_terms)`: texts of the passages those terms retrieve, used to
    restore the marks of an unaccented question from the topic at hand. With `today`,
    time expressions become the query's period / recency and leave its text."""
    scope = parse_time(question, today) if today is not None else None
    q = _parse(scope.text if scope else question, analyzer, lexicon, dense, context)
    if scope is None or not (scope.period or scope.recent):
        return q  # no time expression: the very same query as without dates
    return replace(q, period=scope.period, recent=scope.recent, today=today)


def _parse(question: str, analyzer: Analyzer, lexicon: Lexicon, dense: bool,
           context: Callable[[list[str]], list[str]] | None) -> Query:
    text = nfc(question).strip()
    accented = has_marks(text)
    if accented:
        terms = analyzer.terms(text)
        return Query(text, True, terms, text if dense else None, None, None, expects(text))
    terms = analyzer.terms(text, folded=True)
    syllables = [s for run in analyzer.syllables(text, folded=True) for s in run]
    local = [run for t in context(terms) for run in analyzer.syllables(t)] if context else None
    restored = lexicon.restore([normalize(s) for s in syllables], local)
    use_dense = dense and restored.confidence >= RESTORE_MIN_CONFIDENCE
    return Query(text, False, terms, restored.text if use_dense else None, restored.text, restored.confidence,
                 expects(text))
