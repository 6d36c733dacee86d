"""Which articles a search may return, and which it prefers: the period of publication a
question names (a filter) and its wish for recent news (a prior), from `dates.parse_time`.

Masks are per article; `chunk_mask`, `mask_scores` and `dense_pool` apply any such mask
(a period, taken-down articles) to passages, so every filter restricts the candidate pools
the same way: BM25 scores outside it are zeroed before the pool is taken, and the dense pool
is drawn from allowed passages only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import numpy as np

from .articles import Article
from .dates import Period
from .topk import top_k_sorted
from .tuning import DEFAULT
from .vectors import nearest

if TYPE_CHECKING:
    import faiss

    from .segments import Stacked

# The recency prior multiplies the fused score by 1 + w · 0.5^(age in days / half-life)
# (then ÷ (1 + w), to stay within 0–1), w and half-life from `Tuning.recency_*`: today's
# story counts double a years-old one, a half-life-old one 1.5×. So an old article that
# matches twice as well still wins, and a weak match gains little. Multiplicative beat
# additive on the dated set (docs/answers.md, "Dates").
# Up to this many allowed passages the dense pool is exact over them (cost: docs/performance.md);
# above, the ANN's nearest DENSE_OVERSAMPLE × pool are taken and the disallowed dropped.
EXACT_DENSE_MAX = 50_000
DENSE_OVERSAMPLE = 10

VIETNAM = timezone(timedelta(hours=7))


def today_in_vietnam(env: Mapping[str, str] = os.environ) -> date:
    """Today for "hôm nay", "tháng này"…: HOIBAO_TODAY (YYYY-MM-DD) pins it, else the clock in UTC+7."""
    pinned = env.get("HOIBAO_TODAY", "").strip()
    return date.fromisoformat(pinned) if pinned else datetime.now(VIETNAM).date()


def article_day(art: Article) -> int:
    """Publication day as a proleptic ordinal, as written (its local date); 0 = no usable date."""
    if art.published:
        try:
            return date.fromisoformat(art.published[:10]).toordinal()
        except ValueError:
            return 0
    return 0


def article_days(articles: Sequence[Article]) -> np.ndarray:
    """`article_day` of each article (int32)."""
    return np.array([article_day(a) for a in articles], dtype=np.int32)


@dataclass(frozen=True, slots=True)
class Restriction:
    allowed: np.ndarray | None = None  # bool per article: may be returned (None: all)
    after: np.ndarray | None = None  # bool per article: ranked after the others (undated, under a period)
    prior: np.ndarray | None = None  # float per article: the fused score's recency boost
    prior_weight: float = DEFAULT.recency_weight  # the boost's largest value (Tuning.recency_weight)
    empty: bool = False  # no dated article in the period: refused at once, naming it (undated ones prove nothing)

    def rank(self, fused: np.ndarray, arts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores with the prior, ranked-last flags, order) of candidates from articles `arts`."""
        fused = self.rescore(fused, arts)
        after = self.after[arts] if self.after is not None else np.zeros(len(arts), dtype=bool)
        return fused, after, np.lexsort((-fused, after))

    def rescore(self, fused: np.ndarray, arts: np.ndarray) -> np.ndarray:
        """Fused scores with the recency prior, still within 0–1."""
        if self.prior is None:
            return fused
        return fused * (1.0 + self.prior[arts]) / (1.0 + self.prior_weight)


def restriction(period: Period | None, recent: bool, days: np.ndarray, today: date,
                weight: float = DEFAULT.recency_weight,
                half_life_days: float = DEFAULT.recency_half_life_days) -> Restriction | None:
    """What a question's time expressions ask of the search; None when it has none.
    `weight`, `half_life_days`: the recency prior's (Tuning.recency_*)."""
    if period is None and not recent:
        return None
    allowed = after = prior = None
    empty = False
    dated = days > 0
    if period is not None:
        inside = dated & (days >= period.start.toordinal()) & (days <= period.last_published.toordinal())
        allowed, after = inside | ~dated, ~dated
        empty = not bool(inside.any())
    if recent:
        age = np.maximum(today.toordinal() - days.astype(np.int64), 0)
        prior = np.where(dated, weight * 0.5 ** (age / half_life_days), 0.0)
    return Restriction(allowed, after, prior, weight, empty)


def chunk_mask(chunk_article: np.ndarray, allowed: np.ndarray, dead: np.ndarray | None = None) -> np.ndarray:
    """Per passage: its article is allowed (and, with `dead`, not taken down)."""
    ok = allowed if dead is None else allowed & ~dead
    return ok[chunk_article]


def mask_scores(scores: np.ndarray, chunk_ok: np.ndarray) -> np.ndarray:
    """A copy with the scores of disallowed passages set to 0 (they then never enter a pool)."""
    return np.where(chunk_ok, scores, 0).astype(scores.dtype, copy=False)


def dense_pool(embeddings: np.ndarray | Stacked, ann: faiss.Index | None, qvec: np.ndarray, k: int,
               chunk_ok: np.ndarray) -> np.ndarray:
    """Ids of the k allowed passages nearest to `qvec`: exact when few are allowed (a period
    is usually selective), else the ANN's oversampled nearest, filtered."""
    ids = np.flatnonzero(chunk_ok)
    if len(ids) <= EXACT_DENSE_MAX:
        if not len(ids):
            return ids
        return ids[top_k_sorted(np.asarray(embeddings[ids], dtype=np.float32) @ qvec, k)]
    got = nearest(embeddings, ann, qvec, k * DENSE_OVERSAMPLE)
    return got[chunk_ok[got]][:k]
