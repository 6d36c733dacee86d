"""Cut an article into overlapping passages of whole sentences.

A chunk keeps character offsets into `Article.text` for itself and for each of
its sentences, so the answer step can quote exact sentences without re-splitting.
"""

from __future__ import annotations

from dataclasses import dataclass

from .articles import Article
from .text import sentence_spans
from .tuning import DEFAULT, Tuning

# Window, stride and length bound are build-time tuning (`Tuning.chunk_*`); the names
# stay for readers of the default cut.
WINDOW = DEFAULT.chunk_window
STRIDE = DEFAULT.chunk_stride
MAX_CHARS = DEFAULT.chunk_max_chars


@dataclass(frozen=True, slots=True)
class Chunk:
    article: int  # position of the article in the generation's article list
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    first: int  # index of its first sentence among the article's sentences


def article_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a whole article, never crossing a paragraph break."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n\n"):
        spans.extend(sentence_spans(text, pos, pos + len(para)))
        pos += len(para) + 2
    return spans


def chunk_article(article: Article, index: int, sents: list[tuple[int, int]] | None = None,
                  tuning: Tuning = DEFAULT) -> list[Chunk]:
    sents = article_sentences(article.text) if sents is None else sents
    size, stride = tuning.chunk_window, tuning.chunk_stride
    chunks: list[Chunk] = []
    i = 0
    while i < len(sents):
        j = i + 1
        while j < len(sents) and j - i < size and sents[j][1] - sents[i][0] <= tuning.chunk_max_chars:
            j += 1
        window = tuple(sents[i:j])
        chunks.append(Chunk(index, window[0][0], window[-1][1], window, i))
        if j >= len(sents):
            break
        i = max(i + 1, j - (size - stride))
    return chunks


def passage_text(article: Article, chunk: Chunk) -> str:
    """What is embedded and BM25-indexed: the title makes every passage findable by it."""
    return f"{article.title}. {article.text[chunk.start:chunk.end]}"
