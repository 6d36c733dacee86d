"""Put tone marks back on a question typed without them, from the corpus's own words.

A bigram Viterbi over the index's vocabulary (syllable accuracy: docs/answers.md).
The dense retriever only sees the restored question when the restoration is sure of
itself; unsure ones skip it. Its weights are `Tuning.restore_*`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .text import fold
from .tuning import DEFAULT

PRUNE_ABOVE = 300_000  # bigger bigram tables drop their count-1 entries


@dataclass(frozen=True, slots=True)
class Restored:
    text: str
    confidence: float  # mean posterior of the chosen syllables, 0–1
    known: float  # share of syllables the vocabulary knows


Local = tuple[Counter[str], Counter[str]]


@dataclass(frozen=True, slots=True)
class _Weights:
    lam: float  # weight of the bigram estimate against the unigram one
    local: float  # a syllable seen in the retrieved passages counts this many times more


def _counts(runs: Iterable[list[str]]) -> Local:
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    for run in runs:
        uni.update(run)
        bi.update(f"{a} {b}" for a, b in itertools.pairwise(run))
    return uni, bi


class Lexicon:
    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = max(sum(unigrams.values()), 1)
        self.by_folded: dict[str, list[str]] = {}
        for syl in sorted(unigrams, key=lambda s: -unigrams[s]):
            self.by_folded.setdefault(fold(syl), []).append(syl)

    @classmethod
    def from_runs(cls, runs: Iterable[list[str]]) -> Lexicon:
        uni, bi = _counts(runs)
        bigrams = dict(bi) if len(bi) <= PRUNE_ABOVE else {k: v for k, v in bi.items() if v > 1}
        return cls(dict(uni), bigrams)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"unigrams": self.unigrams, "bigrams": self.bigrams}

    def _logp(self, prev: str | None, cur: str, local: Local | None, w: _Weights) -> float:
        uni = (self._uni(cur, local, w) + 0.1) / self.total
        if prev is None:
            return math.log(uni)
        big = self._bi(f"{prev} {cur}", local, w) / max(self._uni(prev, local, w), 1)
        return math.log(w.lam * big + (1 - w.lam) * uni)

    def _uni(self, syl: str, local: Local | None, w: _Weights) -> float:
        return self.unigrams.get(syl, 0) + (w.local * local[0][syl] if local else 0)

    def _bi(self, pair: str, local: Local | None, w: _Weights) -> float:
        return self.bigrams.get(pair, 0) + (w.local * local[1][pair] if local else 0)

    def restore(self, syllables: list[str], local: list[list[str]] | None = None, lam: float = DEFAULT.restore_lambda,
                local_weight: float = DEFAULT.restore_local_weight) -> Restored:
        """Most likely accented form of folded `syllables` (lowercase).

        `local`: syllable runs of the passages the folded question retrieved; their
        words count `local_weight` times more, so "ha tinh" follows the topic at hand.
        `lam`: weight of the bigram estimate against the unigram one.
        """
        w = _Weights(lam, local_weight)
        if not syllables:
            return Restored("", 0.0, 0.0)
        counts = _counts(local) if local else None
        local_forms: dict[str, list[str]] = {}
        if counts:
            for syl in counts[0]:
                local_forms.setdefault(fold(syl), []).append(syl)
        cands = [list(dict.fromkeys(local_forms.get(s, []) + self.by_folded.get(s, [s])[:8])) for s in syllables]
        known = sum(1 for s in syllables if s in self.by_folded) / len(syllables)
        # Viterbi
        best: list[dict[str, tuple[float, str | None]]] = [{c: (self._logp(None, c, counts, w), None)
                                                            for c in cands[0]}]
        for i in range(1, len(cands)):
            layer: dict[str, tuple[float, str | None]] = {}
            for c in cands[i]:
                layer[c] = max(((score + self._logp(p, c, counts, w), p) for p, (score, _) in best[i - 1].items()),
                               key=lambda t: t[0])
            best.append(layer)
        last = max(best[-1], key=lambda c: best[-1][c][0])
        path = [last]
        for i in range(len(cands) - 1, 0, -1):
            prev = best[i][path[-1]][1]
            assert prev is not None
            path.append(prev)
        path.reverse()
        return Restored(" ".join(path), self._confidence(path, cands, counts, w), known)

    def _confidence(self, path: list[str], cands: list[list[str]], local: Local | None, w: _Weights) -> float:
        """Mean over positions of the chosen syllable's share, neighbours held fixed."""
        shares = []
        for i, choice in enumerate(path):
            if len(cands[i]) == 1:
                shares.append(1.0)
                continue
            prev = path[i - 1] if i else None
            nxt = path[i + 1] if i + 1 < len(path) else None

            def score(c: str, prev: str | None = prev, nxt: str | None = nxt) -> float:
                s = self._logp(prev, c, local, w)
                return s + (self._logp(c, nxt, local, w) if nxt else 0.0)

            scores = [score(c) for c in cands[i]]
            top = max(scores)
            z = sum(math.exp(s - top) for s in scores)
            shares.append(math.exp(score(choice) - top) / z)
        return sum(shares) / len(shares)
