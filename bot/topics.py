"""Topics of the live generation: accent- and case-insensitive lookup, paging, suggestions."""

from __future__ import annotations

import difflib
import hashlib

from index.articles import Article
from index.generation import Generation
from index.text import fold, normalize

PAGE = 5


def key(name: str) -> str:
    """The form topics are compared in: "Chuyển đổi số" == "chuyen doi so"."""
    return " ".join(fold(normalize(name)).split())


def topic_id(name: str) -> str:
    """Short stable id for callback data (64-byte limit)."""
    return hashlib.sha1(key(name).encode(), usedforsecurity=False).hexdigest()[:10]


def find(gen: Generation, query: str) -> str | None:
    wanted = key(query)
    return next((t for t in gen.topics() if key(t) == wanted), None)


def by_id(gen: Generation, tid: str) -> str | None:
    return next((t for t in gen.topics() if topic_id(t) == tid), None)


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
