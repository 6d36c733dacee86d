"""Topics of the live generation: accent- and case-insensitive lookup, paging, suggestions."""

from __future__ import annotations

import difflib
import math

from index.articles import Article
from index.generation import Generation
from index.text import fold, has_marks, normalize

PAGE = 5


def key(name: str) -> str:
    """The form topics are compared in: "Chuyển đổi số" == "chuyen doi so"."""
    return " ".join(fold(normalize(name)).split())


def find(gen: Generation, query: str) -> str | None:
    wanted = key(query)
    return next((t for t in gen.topics() if key(t) == wanted), None)


def closest(gen: Generation, query: str, n: int = 3) -> list[str]:
    """Topic names nearest to `query`: shared words first, then string similarity."""
    q = key(query)
    names = {key(t): t for t in gen.topics()}
    words = set(q.split())
    sharing = sorted((t for k, t in names.items() if words & set(k.split())),
                     key=lambda t: -len(words & set(key(t).split())))
    similar = [names[k] for k in difflib.get_close_matches(q, list(names), n=n, cutoff=0.4)]
    return list(dict.fromkeys(sharing + similar))[:n]


def articles(gen: Generation, topic: str) -> list[Article]:
    """Articles tagged `topic`, newest first (undated last)."""
    k = key(topic)
    tagged = [a for a in gen.articles if any(key(t) == k for t in a.topics)]
    return sorted(tagged, key=lambda a: a.published or "", reverse=True)


def page(items: list[Article], number: int) -> tuple[list[Article], int, int]:
    """(items on page `number`, that page clamped, page count)."""
    pages = max(1, -(-len(items) // PAGE))
    number = min(max(number, 0), pages - 1)
    return items[number * PAGE:(number + 1) * PAGE], number, pages


def newest(gen: Generation, topic: str | None = None, limit: int = 50) -> list[Article]:
    """/moi: the `limit` newest articles, of one topic or of all (undated last)."""
    items = articles(gen, topic) if topic else sorted(gen.articles, key=lambda a: a.published or "", reverse=True)
    return items[:limit]


# Words of a question that say nothing about its subject (folded).
_QUESTION_WORDS = frozenset(str.split(
    "bao nhieu gi nao ai la co khong the sao tai vi o dau khi nam ngay thang hom nay qua cua va cho nhung cac "
    "mot duoc da se dang den tu trong voi ve thi ma nhu hay hoac moi nhat tin bai toi minh ban oi a nhe "
    "gio luc may chua roi bi lam"))
SPECIFIC_SHARE = 0.25  # a shared word counts when at most this share of articles contain it


def related(gen: Generation, question: str, titles: list[tuple[str, tuple[str, ...]]], n: int = 3) -> list[str]:
    """Topics related to a question the articles do not answer: a topic whose name shares
    a word pair (or a rare word) with the question's content words, or the topics of a
    near article whose title shares a rare word pair (or two rare words) with them. Nothing related → [] (a
    refusal then suggests no topic rather than the same unrelated one every time).
    `titles`: (title, topics) of the closest articles the search found."""
    analyzer = gen.analyzer
    folded = not has_marks(question)  # with marks, compare exactly: "đội" is not "đổi"
    content = {t for t in analyzer.terms(question, folded=folded)
               if not any(fold(w) in _QUESTION_WORDS for w in t.split())}
    field = gen.article_folded if folded else gen.article_exact
    rare = math.log(field.n_docs * (1 - SPECIFIC_SHARE) + 0.5) - math.log(field.n_docs * SPECIFIC_SHARE + 0.5)

    def specific(term: str) -> bool:
        return field.idf(term) > rare

    scores: dict[str, int] = {}
    for name in gen.topics():
        shared = content & set(analyzer.terms(name, folded=folded))
        if any(" " in t or specific(t) for t in shared):
            scores[name] = scores.get(name, 0) + 2
    for title, names in titles:
        rare_shared = [t for t in content & set(analyzer.terms(title, folded=folded)) if specific(t)]
        if len(rare_shared) >= 2 or any(" " in t for t in rare_shared):  # one lone word is too often a homonym
            for name in names:
                scores[name] = scores.get(name, 0) + 1
    return sorted(scores, key=lambda t: -scores[t])[:n]
