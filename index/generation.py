"""One verified, loaded index generation: everything a search needs, read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from . import store
from .accents import Lexicon
from .articles import Article
from .lexical import Lexical
from .text import Analyzer
from .vectors import needs_ann, read_faiss


@dataclass(slots=True)
class Generation:
    name: str
    path: Path
    manifest: dict[str, object]
    articles: list[Article]
    chunk_article: np.ndarray
    chunk_span: np.ndarray
    chunk_sentences: np.ndarray  # (n_chunks, 2): global sentence range [lo, hi)
    sentence_span: np.ndarray  # (n_sentences, 2): offsets into the article's text
    article_sentence_ptr: np.ndarray  # (n_articles + 1): sentences of article a are [ptr[a], ptr[a+1])
    exact: Lexical
    folded: Lexical
    article_exact: Lexical
    article_folded: Lexical
    analyzer: Analyzer
    lexicon: Lexicon
    embeddings: np.ndarray | None
    sentence_embeddings: np.ndarray | None
    faiss_index: faiss.Index | None  # HNSW, above vectors.HNSW_ABOVE passages only

    @property
    def model(self) -> str | None:
        m = self.manifest.get("model")
        return str(m) if m else None

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_article)

    def sentence_range(self, chunk: int) -> range:
        lo, hi = self.chunk_sentences[chunk]
        return range(int(lo), int(hi))

    def topics(self) -> dict[str, int]:
        t = self.manifest.get("topics")
        return dict(t) if isinstance(t, dict) else {}


def _npy(path: Path, mmap: bool = False) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (OSError, ValueError) as exc:
        raise store.IndexUnavailable(f"{path}: unreadable ({exc})") from exc


def load(index_dir: Path, model: str | None = None, verify: bool = True, name: str | None = None) -> Generation:
    """Load the live generation of `index_dir` (or the one called `name`), refusing
    anything that does not verify.

    `model`: the EMBEDDING_MODEL this process will embed queries with; a generation
    built with another model is refused (its vectors would be meaningless).
    """
    gen = store.generations_dir(index_dir) / name if name else store.current_path(index_dir)
    if gen is None:
        raise store.IndexUnavailable(f"{index_dir}: no index yet (no CURRENT); run `python -m index build`")
    if not gen.is_dir():
        raise store.IndexUnavailable(f"{gen}: CURRENT names a generation that does not exist")
    manifest = store.read_manifest(gen, verify=verify, model=model)
    try:
        with (gen / "articles.jsonl").open(encoding="utf-8") as fh:
            articles = [Article.from_json(json.loads(line)) for line in fh]
        abbreviations = json.loads((gen / "abbreviations.json").read_text(encoding="utf-8"))
        lex = json.loads((gen / "lexicon.json").read_text(encoding="utf-8"))
        exact = Lexical.load(gen / "bm25_exact")
        folded = Lexical.load(gen / "bm25_folded")
        article_exact = Lexical.load(gen / "bm25_article_exact")
        article_folded = Lexical.load(gen / "bm25_article_folded")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise store.IndexUnavailable(f"{gen}: unreadable index file ({exc})") from exc
    embeddings = sentence_embeddings = faiss_index = None
    if manifest.get("model"):
        embeddings = _npy(gen / "embeddings.npy", mmap=True)
        sentence_embeddings = _npy(gen / "sentence_embeddings.npy", mmap=True)
        if needs_ann(len(embeddings)):
            try:
                faiss_index = read_faiss(gen / "vectors.faiss")
            except RuntimeError as exc:
                raise store.IndexUnavailable(f"{gen / 'vectors.faiss'}: unreadable ({exc})") from exc
    g = Generation(
        name=gen.name, path=gen, manifest=manifest, articles=articles,
        chunk_article=_npy(gen / "chunk_article.npy"), chunk_span=_npy(gen / "chunk_span.npy"),
        chunk_sentences=_npy(gen / "chunk_sentences.npy"), sentence_span=_npy(gen / "sentence_span.npy"),
        article_sentence_ptr=_npy(gen / "article_sentence_ptr.npy"),
        exact=exact, folded=folded, article_exact=article_exact, article_folded=article_folded,
        analyzer=Analyzer(abbreviations),
        lexicon=Lexicon(lex["unigrams"], lex["bigrams"]), embeddings=embeddings,
        sentence_embeddings=sentence_embeddings, faiss_index=faiss_index)
    if g.n_chunks != manifest.get("chunks") or len(articles) != manifest.get("articles"):
        raise store.IndexUnavailable(f"{gen / store.MANIFEST}: counts do not match the files")
    return g
