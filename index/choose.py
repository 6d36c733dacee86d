"""The cross-encoder's part in an answer (`index.rerank`): it reads the question with each
top article's few best candidate quotes — shortlisted by the word and cosine scores of
`quote.quote_scores` — picks the quote that holds the answer, and says how well the best of
them answers (`reader_floor` can refuse on it). The articles' order is settled before.

One onnxruntime call scores every shortlisted quote of every article read, so the cost is
`rerank_articles` × `rerank_sentences` pairs a question (docs/answers.md, "The cross-encoder").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rerank import Reranker, candidate_text
from .tuning import Tuning

Span = tuple[float, int, int]  # word/cosine score, first and last sentence


@dataclass(frozen=True, slots=True)
class Choice:
    first: int
    last: int
    reader: float | None  # the cross-encoder's best logit among the article's quotes; None when not read


def shortlist(spans: list[Span], n: int) -> list[Span]:
    """The n best-scored quotes, best first (ties: earlier in the text)."""
    order = sorted(range(len(spans)), key=lambda i: (-spans[i][0], i))
    return [spans[i] for i in order[:n]]


def shown(text: str, sents: list[tuple[int, int]], span: Span, title: str, with_previous: bool = True) -> str:
    """What the cross-encoder reads of a quote: its sentences, the title, the sentence before
    (when the model was trained with it)."""
    _, first, last = span
    previous = text[sents[first - 1][0]:sents[first - 1][1]] if first > 0 and with_previous else ""
    return candidate_text(text[sents[first][0]:sents[last][1]], previous, title)


def choose(reranker: Reranker | None, question: str, lists: list[tuple[str, list[tuple[int, int]], list[Span], str]],
           tuning: Tuning) -> list[Choice]:
    """For each article (text, sentence spans, scored quotes, title), the quote to show.
    The first `rerank_articles` articles are read by the cross-encoder; the rest, and every
    article when there is no model, keep the best word/cosine quote."""
    picks: list[Choice] = []
    read = [] if reranker is None else lists[:tuning.rerank_articles]
    shorts = [shortlist(spans, tuning.rerank_sentences) for _, _, spans, _ in read]
    previous = reranker is not None and reranker.previous
    texts = [shown(text, sents, sp, title, previous)
             for (text, sents, _, title), short in zip(read, shorts, strict=True) for sp in short]
    logits = reranker.scores(question, texts) if reranker is not None and texts else np.zeros(0)
    pos = 0
    for k, (_, _, spans, _) in enumerate(lists):
        if k < len(shorts):
            short = shorts[k]
            ce = logits[pos:pos + len(short)]
            pos += len(short)
            mixed = ce + tuning.reader_quote_weight * np.array([s[0] for s in short])
            i = int(np.argmax(mixed))
            picks.append(Choice(short[i][1], short[i][2], float(ce.max())))
        else:
            best = shortlist(spans, 1)[0]
            picks.append(Choice(best[1], best[2], None))
    return picks
