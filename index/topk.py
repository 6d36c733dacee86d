"""Small ranking helpers shared by BM25, vector search, fusion and quote choice."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, in no particular order, without a full sort."""
    k = min(k, len(scores))
    return np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))


def top_k_sorted(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first (ties in index order)."""
    top = top_k(scores, k)
    return top[np.argsort(-scores[top], kind="stable")]


def minmax(x: np.ndarray) -> np.ndarray:
    """Scaled to 0–1 over the pool; a constant pool is all 1 (positive) or all 0."""
    if len(x) == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)
