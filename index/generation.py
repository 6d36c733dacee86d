"""One verified, loaded index generation: everything a search needs, read-only.

A generation is a base segment and, after incremental updates, a delta segment
(`segments.py`). Searches see one combined view: article, chunk and sentence numbers
run through the base, then the delta; BM25 fields and vectors span both, and the
base's replaced or taken-down articles are masked out of every score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from . import layout, store
from .accents import Lexicon
from .articles import Article
from .lexical import Field
from .segments import DELTA, LEXICAL_FIELDS, Segment, Stacked, load_segment, segment_key
from .text import Analyzer

DEAD_ARTICLES = layout.DEAD_ARTICLES


@dataclass(slots=True)
class Generation:
    name: str
    path: Path
    manifest: dict[str, object]
    articles: list[Article]  # every segment's, dead ones included (numbers must line up)
    chunk_article: np.ndarray
    chunk_span: np.ndarray
    chunk_sentences: np.ndarray  # (n_chunks, 2): global sentence range [lo, hi)
    sentence_span: np.ndarray  # (n_sentences, 2): offsets into the article's text
    article_sentence_ptr: np.ndarray  # (n_articles + 1): sentences of article a are [ptr[a], ptr[a+1])
    exact: Field
    folded: Field
    article_exact: Field
    article_folded: Field
    analyzer: Analyzer
    lexicon: Lexicon
    embeddings: np.ndarray | Stacked | None
    sentence_embeddings: np.ndarray | Stacked | None
    faiss_index: faiss.Index | None  # HNSW, above vectors.HNSW_ABOVE passages only
    base: Segment | None = None
    delta: Segment | None = None
    dead_articles: np.ndarray | None = None  # bool per article: taken down or replaced
    _live: list[Article] | None = field(default=None, repr=False)

    @property
    def model(self) -> str | None:
        m = self.manifest.get("model")
        return str(m) if m else None

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_article)

    def passage_field(self, accented: bool) -> Field:
        """The passage BM25 field a question is routed to: exact when typed with marks."""
        return self.exact if accented else self.folded

    def article_field(self, accented: bool) -> Field:
        return self.article_exact if accented else self.article_folded

    def sentence_range(self, chunk: int) -> range:
        lo, hi = self.chunk_sentences[chunk]
        return range(int(lo), int(hi))

    def topics(self) -> dict[str, int]:
        t = self.manifest.get("topics")
        return dict(t) if isinstance(t, dict) else {}

    @property
    def live_articles(self) -> list[Article]:
        """The articles served: for listings (topics, newest, alerts)."""
        if self._live is None:
            dead = self.dead_articles
            self._live = self.articles if dead is None else [a for a, d in zip(self.articles, dead, strict=True)
                                                             if not d]
        return self._live


def load(index_dir: Path, model: str | None = None, verify: bool = True, name: str | None = None,
         previous: Generation | None = None) -> Generation:
    """Load the live generation of `index_dir` (or the one called `name`), refusing
    anything that does not verify.

    `model`: the EMBEDDING_MODEL this process will embed queries with; a generation
    built with another model is refused (its vectors would be meaningless).
    `previous`: the generation this process serves now. Base files the new one shares
    with it (the same hard-linked inodes, verified when it was loaded) are not hashed
    again, and its loaded base is reused: a swap after an update costs what the delta costs.
    """
    gen = store.generations_dir(index_dir) / name if name else store.current_path(index_dir)
    if gen is None:
        raise store.IndexUnavailable(f"{index_dir}: no index yet (no CURRENT); run `python -m index build`")
    if not gen.is_dir():
        raise store.IndexUnavailable(f"{gen}: CURRENT names a generation that does not exist")
    trusted = store.shared_files(gen, previous.path) if previous is not None and previous.path != gen \
        else frozenset()
    manifest = store.read_manifest(gen, verify=verify, model=model, trusted=trusted)
    files = manifest["files"]
    assert isinstance(files, dict)
    vectors = bool(manifest.get("model"))
    base_key = segment_key(files, delta=False)
    base = previous.base if previous is not None and previous.base is not None \
        and previous.base.key == base_key else load_segment(gen, base_key, vectors)
    delta = dead = None
    if isinstance(manifest.get("delta"), dict):
        delta = load_segment(gen / DELTA, segment_key(files, delta=True), vectors)
        dead = np.zeros(len(base.articles) + len(delta.articles), dtype=bool)
        dead[_dead_numbers(gen / DELTA / DEAD_ARTICLES, len(base.articles))] = True
    try:
        abbreviations = json.loads((gen / layout.ABBREVIATIONS).read_text(encoding="utf-8"))
        lex = json.loads((gen / layout.LEXICON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise store.IndexUnavailable(f"{gen}: unreadable index file ({exc})") from exc
    g = _combined(gen, manifest, base, delta, dead, Analyzer(abbreviations), Lexicon(lex["unigrams"],
                                                                                     lex["bigrams"]))
    if g.n_chunks != manifest.get("chunks") or len(g.articles) != manifest.get("articles"):
        raise store.IndexUnavailable(f"{gen / store.MANIFEST}: counts do not match the files")
    return g


def _dead_numbers(path: Path, n_base: int) -> np.ndarray:
    try:
        dead = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise store.IndexUnavailable(f"{path}: unreadable ({exc})") from exc
    if dead.ndim != 1 or (len(dead) and (dead.min() < 0 or dead.max() >= n_base)):
        raise store.IndexUnavailable(f"{path}: names articles the base does not have")
    return dead.astype(np.int64)


def _combined(path: Path, manifest: dict[str, object], base: Segment, delta: Segment | None,
              dead: np.ndarray | None, analyzer: Analyzer, lexicon: Lexicon) -> Generation:
    """One view over the segments (just the base's own arrays when there is no delta)."""
    segs = [base] if delta is None else [base, delta]
    art_off = np.cumsum([0] + [len(s.articles) for s in segs])
    sent_off = np.cumsum([0] + [len(s.sentence_span) for s in segs])
    dead_chunks = None
    if dead is not None:
        chunk_article = np.concatenate([s.chunk_article + int(o) for s, o in zip(segs, art_off, strict=False)])
        dead_chunks = dead[chunk_article]

    def cat(name: str, offsets: np.ndarray | None = None) -> np.ndarray:
        if len(segs) == 1:
            return getattr(base, name)  # type: ignore[no-any-return]
        return np.concatenate([getattr(s, name) + (int(o) if offsets is not None else 0)
                               for s, o in zip(segs, offsets if offsets is not None else art_off, strict=False)])

    ptr = base.article_sentence_ptr if delta is None else np.concatenate(
        [base.article_sentence_ptr[:-1], delta.article_sentence_ptr + int(sent_off[1])])
    fields = {f: Field([s.lexical[f] for s in segs], dead if f.startswith("article") else dead_chunks)
              for f in LEXICAL_FIELDS}
    emb: np.ndarray | Stacked | None = base.embeddings
    sent: np.ndarray | Stacked | None = base.sentence_embeddings
    ann = base.faiss_index
    if delta is not None and base.embeddings is not None and delta.embeddings is not None:
        emb = Stacked([base.embeddings, delta.embeddings], base.faiss_index, dead_chunks)
        assert base.sentence_embeddings is not None
        assert delta.sentence_embeddings is not None
        sent = Stacked([base.sentence_embeddings, delta.sentence_embeddings])
        ann = None
    return Generation(
        name=path.name, path=path, manifest=manifest, articles=[a for s in segs for a in s.articles],
        chunk_article=cat("chunk_article", art_off), chunk_span=cat("chunk_span"),
        chunk_sentences=cat("chunk_sentences", sent_off), sentence_span=cat("sentence_span"),
        article_sentence_ptr=ptr, exact=fields["exact"], folded=fields["folded"],
        article_exact=fields["article_exact"], article_folded=fields["article_folded"],
        analyzer=analyzer, lexicon=lexicon, embeddings=emb, sentence_embeddings=sent, faiss_index=ann,
        base=base, delta=delta, dead_articles=dead)
