"""Synthetic corpora for `python -m index bench`: a real corpus's syllable vocabulary drawn
with Zipfian frequencies, its sentence and article lengths; random unit vectors stand in
for a model (a real one at 1M passages would take days on 2 cores)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .articles import read_articles
from .chunks import article_sentences
from .text import TOKEN_RE, nfc

ZIPF_S = 1.07
TOPICS = ["Chuyển đổi số", "Kinh tế", "Nông nghiệp", "Giáo dục", "Y tế", "Văn hóa", "Giao thông", "Xã hội"]


class RandomEmbedder:
    """Stands in for the model when timing builds: seeded random unit vectors."""

    name = "random-unit-vectors"

    def __init__(self, dim: int = 384, seed: int = 0) -> None:
        self.dim = dim
        self.rng = np.random.default_rng(seed)

    def _unit(self, n: int) -> np.ndarray:
        v = self.rng.standard_normal((n, self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if progress:
            progress(len(texts))
        return self._unit(len(texts))

    def query(self, text: str) -> np.ndarray:
        return self._unit(1)[0]


def profile(source: Path) -> dict[str, Any]:
    """Vocabulary with counts, sentence lengths (tokens) and article lengths (sentences)."""
    arts = read_articles([source]).articles
    vocab: Counter[str] = Counter()
    sent_lens, art_lens = [], []
    for a in arts:
        spans = article_sentences(a.text)
        art_lens.append(len(spans))
        for s, e in spans:
            toks = TOKEN_RE.findall(nfc(a.text[s:e]))
            vocab.update(toks)
            sent_lens.append(len(toks))
    return {"vocab": [w for w, _ in vocab.most_common()], "sentence_lengths": sent_lens, "article_lengths": art_lens}


def synth(prof: dict[str, Any], n_chunks: int, out: Path, seed: int = 0, n_articles_max: int | None = None) -> int:
    """Write a JSONL corpus of about `n_chunks` passages (or exactly `n_articles_max`
    articles); returns the article count."""
    rng = np.random.default_rng(seed)
    vocab = prof["vocab"]
    p = 1.0 / np.arange(1, len(vocab) + 1) ** ZIPF_S
    p /= p.sum()
    sent_lens = np.array(prof["sentence_lengths"])
    art_lens = np.array(prof["article_lengths"])
    chunks = n_articles = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        while (chunks < n_chunks) if n_articles_max is None else (n_articles < n_articles_max):
            n_sent = max(2, int(rng.choice(art_lens)))
            lens = np.maximum(4, rng.choice(sent_lens, n_sent))
            words = rng.choice(len(vocab), size=int(lens.sum()) + 10, p=p)
            pos, sents = 10, []
            for n in lens:
                toks = [vocab[i] for i in words[pos:pos + n]]
                pos += n
                sents.append(toks[0][:1].upper() + toks[0][1:] + " " + " ".join(toks[1:]) + ".")
            paras = ["\n\n".join(" ".join(sents[i:i + 3]) for i in range(0, len(sents), 3))]
            title = " ".join(vocab[i] for i in words[:10]).capitalize()
            day = int(rng.integers(0, 3650))
            rec = {"url": f"https://bench.example/{seed}/{n_articles}", "title": title, "text": paras[0],
                   "published": time.strftime("%Y-%m-%d", time.gmtime(1.5e9 + day * 86400)),
                   "topics": [TOPICS[int(rng.integers(len(TOPICS)))]]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n_articles += 1
            chunks += max(1, (n_sent - 1 + 1) // 2)
    return n_articles


def _questions(corpus: Path, n: int) -> list[str]:
    """Questions cut from random articles of the corpus: 5–9 consecutive words."""
    rng = np.random.default_rng(7)
    with corpus.open(encoding="utf-8") as fh:
        lines = fh.readlines()
    out = []
    for i in rng.choice(len(lines), n):
        toks = TOKEN_RE.findall(json.loads(lines[int(i)])["text"])
        start = int(rng.integers(0, max(1, len(toks) - 8)))
        out.append(" ".join(toks[start:start + int(rng.integers(5, 10))]) + "?")
    return out
