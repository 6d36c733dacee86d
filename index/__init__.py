"""Hỏi Báo index: Vietnamese news articles → BM25 + vector index → quoted answers."""

__version__ = "0.1.0"
