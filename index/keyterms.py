"""Near misses: a question about something the paper never wrote about, close in words to
something it did ("bệnh X lây qua đường nào?" for a disease X the archive never names).

Retrieval always finds the nearest article, and its quote can read like an answer. The
answer must stand on the question's key terms: a word of the question so rare that the
index has never seen it (`Tuning.key_term_idf`: names of diseases, places, people the
paper never wrote about; in an archive too small for "never printed" to mean anything — under
`Tuning.key_term_min_articles` — the rule is off) must appear in the title or the quote's
context, and a year the question names must appear in the article. A misspelling of a word
the article has ("cholestreol") is not a new name: it is forgiven (`near`). And the answer
must stand on at least one word the question is about (`stands_on_nothing`). Measured on
entity-swapped dev questions: docs/answers.md, "Near misses".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set

from .query import QUESTION_PHRASES, Query
from .text import fold

# the words that ask ("bao nhiêu", "mấy", "gì") and the grammar around them, folded: never what a
# question is about, though a small archive may never have printed some of them
ASKING = frozenset(s for p in QUESTION_PHRASES for s in p.split()) | frozenset(
    "gi ai dau sao nao khong chua may bao nhieu co la duoc nhung cac cua va thi bi cho voi khi neu nhu the "  # noqa: SIM905
    "nen phai hay hoac ma rang vay day do kia nay ay hoi xin cam on a nhe u".split())
YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def edits_allowed(word: str) -> int:
    """Typos forgiven in a word of this length: none in a syllable-length word, where one
    edit makes another word ("muong" → "duong"); loanwords and names are longer."""
    return 2 if len(word) >= 8 else 1 if len(word) >= 6 else 0


def near(word: str, vocabulary: Set[str]) -> bool:
    """Is `word` within its allowed edits (insert, delete, substitute, swap) of a vocabulary word?"""
    k = edits_allowed(word)
    return k > 0 and any(abs(len(v) - len(word)) <= k and " " not in v and _distance(word, v, k) <= k
                         for v in vocabulary)


def _distance(a: str, b: str, bound: int) -> int:
    """Optimal-string-alignment distance, stopping once every cell of a row exceeds `bound`."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > bound:
            return bound + 1
        prev2, prev = prev, cur
    return prev[-1]


def stands_on_nothing(q: Query, found: Set[str]) -> bool:
    """Not one word the question is about (its content words, not the asking ones) is in
    `found` (the title's and the quote context's terms): what matched was only the asking —
    "Giá vàng hôm nay là bao nhiêu?" answered by "… hôm nay là ngày nào? Còn bao nhiêu ngày …"."""
    about = [t for t in q.content if fold(t) not in ASKING]
    return bool(about) and not any(t in found for t in about)


def missing_key_terms(q: Query, found: Set[str], bar: float, article: Callable[[], tuple[str, Set[str]]]) -> list[str]:
    """The question's key terms the answer does not stand on, in question order: words of
    idf ≥ `bar` absent from `found` (the title's and the quote context's terms) and not a
    typo of the article's words, then years absent from the article. `article()`: its text and terms."""
    rare = [t for t, idf in q.weights.items() if " " not in t and idf >= bar and t not in found
            and fold(t) not in ASKING and not any(c.isdigit() for c in t)]
    # a period in the question already restricted the articles by date
    years = [] if q.period is not None else YEAR.findall(q.text)
    if not rare and not years:
        return []
    text, words = article()
    return [t for t in rare if not near(t, words)] + [y for y in dict.fromkeys(years) if y not in text]
