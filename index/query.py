"""A question as people type it → what each retriever and the quote choice should see.

The question is read once, here: its terms and their weights, the words that carry its
meaning, the numbers it already gives, the kind of answer it asks for and its period.
Search, quote choice, confidence and bolding only read the `Query`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from .accents import Lexicon
from .dates import Period, parse_time
from .text import Analyzer, fold, has_marks, nfc, normalize, raw_tokens, strip_tone
from .tuning import DEFAULT, Tuning

_GREETINGS = {
    "xin chao", "chao", "chao ban", "chao bot", "hello", "hi", "hey", "alo", "a lo", "cam on",
    "cam on ban", "thanks", "thank you", "ok", "oke", "okay", "test", "hihi", "haha", "bye",
    "tam biet", "good morning", "chao buoi sang", "ban la ai", "ban oi", "e", "uh", "um",
}
# Questions whose answer is a date, or a number or rank (folded forms).
_DATE_Q = re.compile(r"\b(?:ngay nao|khi nao|bao gio|thang nao|nam nao|luc nao|thoi gian nao|hom nao)\b")
_NUMBER_Q = re.compile(r"\b(?:bao nhieu|may|bao lau|ty le|thu hang|muc nao|bao xa)\b")
# Pairs of syllables that only ask (folded): never a phrase to bold in a quote.
QUESTION_PHRASES = frozenset({
    "ngay nao", "khi nao", "bao gio", "thang nao", "nam nao", "luc nao", "gian nao", "hom nao",
    "bao nhieu", "bao lau", "thu hang", "muc nao", "bao xa", "the nao", "nhu the", "ra sao", "la gi",
    "o dau", "la ai", "vi sao", "tai sao",
})

# An unmarked syllable whose bare form is at least this share of its spellings in the corpus
# is taken as typed ("an", "con"); rarer bare forms need a known pair with a neighbour.
UNMARKED_SHARE = 0.15

# term → idf in the field the question is routed to (folded=True: the mark-free field)
Weigh = Callable[[str, bool], float]


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
    numbers: frozenset[str] = frozenset()  # numbers the question gives ("năm 2024", "6/63")
    weights: dict[str, float] = field(default_factory=dict)  # distinct terms → idf, in question order
    content: frozenset[str] = frozenset()  # words with weight (idf > Tuning.content_idf), routed form:
    # near them, a number answers "bao nhiêu"
    content_folded: frozenset[str] = frozenset()  # the same without marks
    phrases: frozenset[str] = frozenset()  # question bigrams that mean something: bold as phrases
    alone: frozenset[str] = frozenset()  # content words bold even outside a phrase

    @property
    def bigram_weights(self) -> dict[str, float]:
        """The bigrams' weights (the terms' when the question is one word): confidence features."""
        return {t: w for t, w in self.weights.items() if " " in t} or self.weights


def is_question(text: str) -> bool:
    """Greetings, empty or one-character messages are not questions."""
    folded = re.sub(r"[^\w\s]", " ", fold(nfc(text)).lower())
    words = folded.split()
    if not words or sum(len(w) for w in words) < 2:
        return False
    return " ".join(words) not in _GREETINGS


def parse(question: str, analyzer: Analyzer, lexicon: Lexicon, dense: bool,
          context: Callable[[list[str]], list[str]] | None = None, today: date | None = None,
          weigh: Weigh | None = None, tuning: Tuning = DEFAULT) -> Query:
    """`context(folded_terms)`: texts of the passages those terms retrieve, used to
    restore the marks of an unaccented question from the topic at hand. With `today`,
    time expressions become the query's period / recency and leave its text. With
    `weigh`, the terms get their idf and the question its content words and phrases."""
    scope = parse_time(question, today) if today is not None else None
    q = _parse(scope.text if scope else question, analyzer, lexicon, dense, context, tuning)
    if weigh is not None:
        q = with_weights(q, weigh, tuning)
    if scope is None or not (scope.period or scope.recent):
        return q  # no time expression: the very same query as without dates
    return replace(q, period=scope.period, recent=scope.recent, today=today)


def given_marks(syllables: list[str], lexicon: Lexicon) -> list[str]:
    """The syllables to restore: a marked one the corpus knows stays as typed (restoration
    keeps it and reads its neighbours by it); any other is folded, to be restored."""
    return [s if has_marks(s) and s in lexicon.unigrams else fold(s) for s in syllables]


def marks_mixed(runs: list[list[str]], lexicon: Lexicon) -> bool:
    """Marks typed on some words only, or wrong ones ("Bênh viện K có bao nhieu"): a marked
    syllable the corpus never writes, or an unmarked one the corpus mostly marks that forms
    no pair it knows with a neighbour as typed. The exact field cannot match such a question."""
    for run in runs:
        for i, s in enumerate(run):
            if has_marks(s):
                # only the tone wrong or missing ("bênh", "xuât"); a word the corpus lacks
                # altogether ("Úc", "xăng") says nothing about the marks
                if s not in lexicon.unigrams and any(strip_tone(f) == strip_tone(s)
                                                     for f in lexicon.by_folded.get(fold(s), ())):
                    return True
                continue
            forms = lexicon.by_folded.get(s, [s])
            family = sum(lexicon.unigrams.get(f, 0) for f in forms)
            if lexicon.unigrams.get(s, 0) >= UNMARKED_SHARE * family:
                continue  # "an", "con", "da": words as often as not typed bare
            pairs = run[max(i - 1, 0):i + 1], run[i:i + 2]
            if not any(len(p) == 2 and " ".join(p) in lexicon.bigrams for p in pairs):
                return True  # "bao nhieu", "quang tri"; not "vỏ nho", "nôn nao"
    return False


def _parse(question: str, analyzer: Analyzer, lexicon: Lexicon, dense: bool,
           context: Callable[[list[str]], list[str]] | None, tuning: Tuning) -> Query:
    text = nfc(question).strip()
    numbers = frozenset(t.text for t in raw_tokens(text) if t.text[0].isdigit())
    marked = has_marks(text)
    runs = analyzer.syllables(text) if marked else []
    if marked and not marks_mixed(runs, lexicon):
        terms = analyzer.terms(text)
        return Query(text, True, terms, text if dense else None, None, None, expects(text), numbers=numbers)
    # Unaccented, or marked inconsistently: the folded field, with the marks restored for the
    # encoder (those typed right kept).
    terms = analyzer.terms(text, folded=True)
    local = [run for t in context(terms) for run in analyzer.syllables(t)] if context else None
    syllables = given_marks([s for run in runs for s in run], lexicon) if marked else \
        [normalize(s) for run in analyzer.syllables(text, folded=True) for s in run]
    restored = lexicon.restore(syllables, local, tuning.restore_lambda, tuning.restore_local_weight)
    use_dense = dense and restored.confidence >= tuning.restore_min_confidence
    return Query(text, False, terms, restored.text if use_dense else None, restored.text, restored.confidence,
                 expects(text), numbers=numbers)


def with_weights(q: Query, weigh: Weigh, tuning: Tuning = DEFAULT) -> Query:
    """`q` with its terms' idf, content words, phrases and lone words (for bold)."""
    weights = {t: weigh(t, not q.accented) for t in dict.fromkeys(q.terms)}
    content = frozenset(t for t, w in weights.items() if " " not in t and w > tuning.content_idf)
    # "thế nào", "bao nhiêu" only ask: their syllables are never bold, alone or in a phrase
    asking = {s for t in weights if " " in t and fold(t) in QUESTION_PHRASES for s in t.split(" ")}
    phrases = frozenset(t for t, w in weights.items() if " " in t and w > tuning.content_idf
                        and not asking & set(t.split(" ")) and any(s in content for s in t.split(" ")))
    # A content word is bold on its own when rare enough, or when no question phrase holds it
    # ("số" of "chuyển đổi số" is not bold in "chỉ số", nor "đổi" in "đổi mới").
    in_phrase = {s for p in phrases for s in p.split(" ")}
    alone = frozenset(t for t in content
                      if t not in asking and (t not in in_phrase or weights[t] >= tuning.highlight_alone_idf))
    return replace(q, weights=weights, content=content, content_folded=frozenset(fold(t) for t in content),
                   phrases=phrases, alone=alone)
