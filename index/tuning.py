"""Every number that decides what is ranked, quoted and answered, in one frozen record.

`Tuning()` is what the bot serves; `python -m index eval --tuning FILE.json` overrides
some of it (`Tuning.with_overrides`), and the manifest of a generation records the
tuning it was built with (chunking happens at build time, the rest at query time).
Where each value was measured: docs/answers.md, "Tuning".

Not here, on purpose: speed and memory bounds that do not change a ranking
(HNSW sizes, exact-search cut-offs, cache sizes, the lexicon's syllable budget) stay
next to the code they bound; the bot's render limits (`bot/render.py` RELATED_MIN) are
the bot's.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

VERSION = 2  # bump when a default changes: manifests and eval output name the tuning they used


@dataclass(frozen=True, slots=True)
class Calibration:
    """Logistic model of P(the index holds an article that answers the question).

    Features: idf-weighted share of the question's bigrams found in the best passage
    and in its whole article, and the passage's cosine (`calibrate.py` fits it)."""

    bias: float
    passage_bigrams: float
    article_bigrams: float
    cosine: float
    threshold: float

    def confidence(self, passage_bigrams: float, article_bigrams: float, cosine: float) -> float:
        z = (self.bias + self.passage_bigrams * passage_bigrams + self.article_bigrams * article_bigrams
             + self.cosine * cosine)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_json(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(**{f.name: float(data[f.name]) for f in dataclasses.fields(cls)})


# Fitted on the dev split with multilingual-e5-small (fp32) vectors: its cosine weight
# means nothing for another model, which gets its own fit (`python -m index calibrate`).
# Thresholds lowered from 0.175 / 0.174 when near misses got their own rule (index/keyterms.py):
# the words rule refuses what the features cannot see, so the features can answer more
# (fold-0 of the dev split: answered 0.937 → 0.951, unanswerable refused unchanged).
E5_SMALL_CALIBRATION = Calibration(bias=-29.24, passage_bigrams=3.81, article_bigrams=1.84, cosine=31.65,
                                   threshold=0.15)
# The same model's int8 ONNX export (`python -m index export-onnx`): its cosines differ
# enough to need a fit of their own (docs/answers.md, "Calibration per model").
E5_SMALL_INT8_CALIBRATION = Calibration(bias=-29.09, passage_bigrams=3.46, article_bigrams=3.06, cosine=31.33,
                                        threshold=0.149)
LEXICAL_CALIBRATION = Calibration(bias=-2.08, passage_bigrams=3.16, article_bigrams=4.04, cosine=0.0,
                                  threshold=0.226)


@dataclass(frozen=True, slots=True)
class Tuning:
    version: int = VERSION
    # build time: passages are windows of whole sentences
    chunk_window: int = 3  # sentences per passage
    chunk_stride: int = 2  # neighbouring passages share window - stride sentences
    chunk_max_chars: int = 900  # long sentences: fewer per passage, so the encoder sees all of it
    # accent restoration of unaccented questions
    restore_lambda: float = 0.8  # weight of the bigram estimate against the unigram one
    restore_local_weight: float = 20.0  # a syllable of the retrieved passages counts this many times more
    restore_context: int = 20  # passages whose words guide the restoration
    restore_min_confidence: float = 0.75  # below it, dense search is skipped
    # retrieval and fusion
    pool: int = 100  # candidates taken from each retriever
    passage_bm25: float = 0.7  # the rest of 1 goes to passage cosine
    article_bm25: float = 1.0
    sentence_cosine: float = 1.0
    recency_weight: float = 1.0  # "mới nhất": score × (1 + w · 0.5^(age / half-life)) / (1 + w)
    recency_half_life_days: float = 90.0
    rerank_depth: int = 5  # top articles re-ordered by their best quote
    rerank_weight: float = 0.2
    # the cross-encoder (index/choose.py): which quotes it reads, how much it decides
    rerank_articles: int = 1  # top articles whose quotes it reads: 12 layers cost ~14 ms a pair
    rerank_sentences: int = 4  # best word/cosine quotes of each it reads
    reader_quote_weight: float = 12.0  # word/cosine score's weight beside its logit, choosing the quote
    reader_floor: float = -99.0  # the top article's best logit below this: refused
    # quote choice
    max_quote: int = 400  # characters
    quote_cosine: float = 6.0  # weight of the sentence's own cosine
    pair_bonus: float = 0.05  # two sentences hold the answer more often than one
    passage_prior: float = 0.05  # sentences of the retrieved passage
    caption_penalty: float = 0.3  # photo captions restate the event but rarely hold the fact
    date_bonus: float = 0.1  # a date, for "khi nào / ngày nào"
    number_bonus: float = 0.1  # a new number near a question word, for "bao nhiêu"
    number_near: int = 3  # tokens either side of that number
    content_idf: float = 1.0  # a question word counts as content above this idf
    highlight_alone_idf: float = 5.0  # a content word outside a question phrase is bold only above this
    # answer or refuse
    # a question word this rare (or never seen, in a small archive) that neither the title nor the
    # quote's context holds: refused (index/keyterms.py; 8 ≈ unseen in the 501 dev articles)
    key_term_idf: float = 8.0
    key_term_min_articles: int = 200  # below this, a word "never printed" says nothing: the rule is off
    dense_calibration: Calibration = field(default_factory=lambda: E5_SMALL_CALIBRATION)
    int8_calibration: Calibration = field(default_factory=lambda: E5_SMALL_INT8_CALIBRATION)  # its int8 export
    lexical_calibration: Calibration = field(default_factory=lambda: LEXICAL_CALIBRATION)
    # models dense_calibration belongs to: a hub id, or a folder of that name
    dense_calibration_models: tuple[str, ...] = ("intfloat/multilingual-e5-small", "multilingual-e5-small",
                                                 "e5-small")

    def kind_bonus(self, kind: str | None) -> float:
        return self.date_bonus if kind == "date" else self.number_bonus if kind == "number" else 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (tuples as lists), as manifests and eval output hold them."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def with_overrides(self, overrides: dict[str, Any]) -> Tuning:
        """A copy with `overrides` (a JSON object of field names) applied, types checked."""
        known = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ValueError(f"unknown tuning parameters: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in overrides.items():
            current = getattr(self, name)
            if isinstance(current, Calibration):
                values[name] = Calibration.from_json({**current.to_json(), **dict(value)})
            elif isinstance(current, tuple):
                values[name] = tuple(str(v) for v in value)
            elif (isinstance(current, int) and not isinstance(value, int)) or isinstance(value, bool):
                raise ValueError(f"tuning {name}: expected an integer, got {value!r}")
            else:
                values[name] = type(current)(value)
        return dataclasses.replace(self, **values)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tuning:
        return cls().with_overrides(data)


DEFAULT = Tuning()
