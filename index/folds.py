"""The k-fold split of the dev questions for anything fitted on them (the cross-encoder).

By article: a question, its unaccented and NFD variants and every sentence of its article
fall in one fold, so no text of the article a question is scored against trains the model
that scores it. Questions without an article (unanswerable, near misses) fall by their text.
"""

from __future__ import annotations

import hashlib
from typing import Any


def fold_of(key: str, k: int) -> int:
    """Stable across runs and machines (not Python's salted hash)."""
    return int(hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:8], 16) % k


def qa_fold(item: dict[str, Any], k: int) -> int:
    return fold_of(str(item.get("url") or item.get("fold_key") or item["question"]), k)


def parse_fold(spec: str) -> tuple[int, int]:
    """"I/K" → (I, K), 0 ≤ I < K."""
    i, _, k = spec.partition("/")
    fold, folds = int(i), int(k)
    if not 0 <= fold < folds:
        raise ValueError(f"fold {spec!r}: expected I/K with 0 ≤ I < K")
    return fold, folds
