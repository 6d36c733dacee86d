"""Which new articles a subscription wants.

A subscription is a topic (compared as /topic compares them: accents and case
ignored) or, when no topic has that name, keywords: every term the search
analyser makes of them (folded, so "gia lua" works) must occur in the article.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from bot import render, topics
from bot.alerts.store import NewPush, Subscription
from index.articles import Article
from index.generation import Generation
from index.text import Analyzer

VIETNAM = timezone(timedelta(hours=7))  # no daylight saving: a fixed offset is exact
MAX_PHRASE = 100


@dataclass(frozen=True, slots=True)
class Wanted:
    kind: str
    key: str
    label: str


def resolve(gen: Generation | None, phrase: str, analyzer: Analyzer) -> Wanted | None:
    """What `/theodoi <phrase>` follows; None when the phrase has no searchable word."""
    phrase = " ".join(phrase.split())[:MAX_PHRASE]
    name = topics.find(gen, phrase) if gen is not None else None
    if name is not None:
        return Wanted("topic", topics.key(name), name)
    if not analyzer.terms(phrase, folded=True):
        return None
    return Wanted("words", topics.key(phrase), phrase)


def article_terms(art: Article, analyzer: Analyzer) -> frozenset[str]:
    text = "\n".join([art.title, art.lede, art.text, *art.topics])
    return frozenset(analyzer.terms(text, folded=True))


def wants(sub: Subscription, art: Article, terms: frozenset[str], analyzer: Analyzer) -> bool:
    if not published_after(art, sub.created_at):
        return False
    if sub.kind == "topic":
        return any(topics.key(t) == sub.key for t in art.topics)
    wanted = analyzer.terms(sub.label, folded=True)
    return bool(wanted) and terms.issuperset(wanted)


def published_after(art: Article, subscribed_at: float) -> bool:
    """Never an article from before the subscription. Articles carry a date, not a time,
    so one dated the day the reader subscribed (Vietnam time) counts as new; an undated
    article is new by definition (the swap just brought it)."""
    if not art.published:
        return True
    day = datetime.fromtimestamp(subscribed_at, UTC).astimezone(VIETNAM).date().isoformat()
    return art.published[:10] >= day


def pushes(subs: Iterable[Subscription], articles: Iterable[Article], analyzer: Analyzer) -> list[NewPush]:
    """One push per (chat, new article) that any of the chat's subscriptions wants."""
    by_chat: dict[int, list[Subscription]] = {}
    for sub in subs:
        by_chat.setdefault(sub.chat_id, []).append(sub)
    out: list[NewPush] = []
    if not by_chat:
        return out
    for art in articles:
        terms = article_terms(art, analyzer)
        for chat_id, chat_subs in by_chat.items():
            hit = next((s for s in chat_subs if wants(s, art, terms, analyzer)), None)
            if hit is not None:
                out.append(NewPush(chat_id, art.url or art.id, render.push_message(art, hit.label),
                                   render.source_line(art.title, art.url, art.published).removeprefix("📰 ")))
    return out
