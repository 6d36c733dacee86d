"""Build a new index generation from article files, reusing cached embeddings."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__, store
from .accents import Lexicon
from .articles import Article, read_articles
from .chunks import Chunk, chunk_article, passage_text
from .lexical import Lexical
from .text import Analyzer, mine_abbreviations
from .vectors import Embedder, build_faiss, content_hash, write_faiss

log = logging.getLogger(__name__)

# progress(phase, done, total): called often; the caller throttles its output.
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class BuildSummary:
    generation: str = ""
    articles: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    duplicates: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    model: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"generation": self.generation, "articles": self.articles, "skipped": self.skipped,
                "duplicates": self.duplicates, "chunks": self.chunks, "embedded": self.embedded,
                "reused": self.reused, "seconds": self.seconds, "model": self.model}


def _noop(phase: str, done: int, total: int) -> None:
    return None


class _Timer:
    def __init__(self, summary: BuildSummary) -> None:
        self.summary = summary
        self.t = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.summary.seconds[phase] = round(now - self.t, 3)
        self.t = now


def _previous_embeddings(index_dir: Path, model: str) -> dict[bytes, np.ndarray]:
    """Embeddings of the live generation by content hash, when built with the same model."""
    try:
        gen = store.current_path(index_dir)
        if gen is None:
            return {}
        manifest = store.read_manifest(gen, verify=False)
        if manifest.get("model") != model or not (gen / "embeddings.npy").exists():
            return {}
        hashes = np.load(gen / "chunk_hash.npy", allow_pickle=False)
        vecs = np.load(gen / "embeddings.npy", allow_pickle=False, mmap_mode="r")
    except (store.IndexUnavailable, OSError, ValueError) as exc:
        log.warning("embedding cache not usable, re-embedding everything: %s", exc)
        return {}
    if len(hashes) != len(vecs):
        return {}
    return {bytes(h): vecs[i] for i, h in enumerate(hashes)}


def build(article_paths: Sequence[str | Path], index_dir: Path, model: str | None,
          progress: Progress = _noop, embedder: Embedder | None = None) -> BuildSummary:
    """Read, chunk, index and publish a new generation. `model=None` builds BM25 only.

    Raises before publishing on any failure, so the live generation keeps serving.
    """
    summary = BuildSummary(model=model)
    timer = _Timer(summary)
    with store.build_lock(index_dir):
        store.clean_leftovers(index_dir)
        read = read_articles(article_paths)
        articles = read.articles
        summary.articles = len(articles)
        summary.duplicates = read.duplicates
        summary.skipped = [{"source": s.source, "reason": s.reason} for s in read.skipped]
        if not articles:
            raise ValueError("no readable articles in " + ", ".join(map(str, article_paths)))
        progress("parse", len(articles), len(articles))
        timer.lap("parse")

        chunks: list[Chunk] = []
        for i, art in enumerate(articles):
            chunks.extend(chunk_article(art, i))
        passages = [passage_text(articles[c.article], c) for c in chunks]
        summary.chunks = len(chunks)
        abbreviations: dict[str, str] = {}
        for art in articles:
            abbreviations.update(mine_abbreviations(art.text))
        analyzer = Analyzer(abbreviations)
        exact, folded, runs = [], [], []
        for n, text in enumerate(passages):
            exact.append(analyzer.terms(text))
            folded.append(analyzer.terms(text, folded=True))
            if n % 2000 == 0:
                progress("tokenise", n, len(passages))
        for art in articles:
            runs.extend(analyzer.syllables(art.title + "\n" + art.text))
        progress("tokenise", len(passages), len(passages))
        timer.lap("tokenise")

        name = store.new_generation_name()
        gen = store.generations_dir(index_dir) / (name + store.PARTIAL)
        gen.mkdir(parents=True)
        Lexical.build(exact).save(gen / "bm25_exact")
        Lexical.build(folded).save(gen / "bm25_folded")
        progress("bm25", 1, 1)
        timer.lap("bm25")

        dim = None
        if model is not None:
            emb = embedder or Embedder(model)
            dim = emb.dim
            hashes = [content_hash(model, p) for p in passages]
            cache = _previous_embeddings(index_dir, model)
            todo = [i for i, h in enumerate(hashes) if h not in cache]
            summary.reused = len(hashes) - len(todo)
            summary.embedded = len(todo)
            vecs = np.zeros((len(passages), emb.dim), dtype=np.float32)
            for i, h in enumerate(hashes):
                if h in cache:
                    vecs[i] = cache[h]
            done = 0

            def tick(n: int) -> None:
                nonlocal done
                done += n
                progress("embed", done, len(todo))

            if todo:
                vecs[todo] = emb.passages([passages[i] for i in todo], tick)
            progress("embed", len(todo), len(todo))
            np.save(gen / "embeddings.npy", vecs, allow_pickle=False)
            np.save(gen / "chunk_hash.npy", np.frombuffer(b"".join(hashes), dtype=np.uint8)
                    .reshape(len(hashes), 16), allow_pickle=False)
            timer.lap("embed")
            write_faiss(build_faiss(vecs), gen / "vectors.faiss")
            progress("faiss", 1, 1)
            timer.lap("faiss")

        _write_records(gen, articles, chunks, abbreviations, Lexicon.from_runs(runs))
        topics = Counter(t for a in articles for t in a.topics)
        store.write_manifest(gen, {
            "package_version": __version__, "model": model, "dim": dim,
            "articles": len(articles), "chunks": len(chunks), "topics": dict(topics.most_common()),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "skipped": len(read.skipped),
        })
        timer.lap("write")
        final = store.publish(index_dir, gen)
        summary.generation = final.name
        timer.lap("publish")
        progress("done", 1, 1)
    return summary


def _write_records(gen: Path, articles: list[Article], chunks: list[Chunk],
                   abbreviations: dict[str, str], lexicon: Lexicon) -> None:
    with (gen / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a.to_json(), ensure_ascii=False) + "\n")
    np.save(gen / "chunk_article.npy", np.array([c.article for c in chunks], dtype=np.int32), allow_pickle=False)
    np.save(gen / "chunk_span.npy", np.array([(c.start, c.end) for c in chunks], dtype=np.int32)
            .reshape(-1, 2), allow_pickle=False)
    sent = [s for c in chunks for s in c.sentences]
    ptr = np.cumsum([0] + [len(c.sentences) for c in chunks]).astype(np.int64)
    np.save(gen / "sentence_span.npy", np.array(sent, dtype=np.int32).reshape(-1, 2), allow_pickle=False)
    np.save(gen / "chunk_sentence_ptr.npy", ptr, allow_pickle=False)
    (gen / "abbreviations.json").write_text(json.dumps(abbreviations, ensure_ascii=False), encoding="utf-8")
    (gen / "lexicon.json").write_text(json.dumps(lexicon.to_json(), ensure_ascii=False), encoding="utf-8")
