"""Build a new index generation from article files, reusing cached embeddings."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__, store
from .accents import Lexicon
from .articles import Article, read_articles
from .chunks import Chunk, article_sentences, chunk_article, passage_text
from .lexical import Lexical
from .text import Analyzer, mine_abbreviations
from .vectors import Encoder, build_faiss, content_hash, load_embedder, needs_ann, write_faiss

log = logging.getLogger(__name__)
LEXICON_SYLLABLES = 3_000_000  # bounded: the counts settle long before (the dev set has 0.19M)

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
    sentences_embedded: int = 0
    sentences_reused: int = 0
    terms_reused: int = 0  # passages and articles whose terms came from the live generation
    seconds: dict[str, float] = field(default_factory=dict)
    model: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"generation": self.generation, "articles": self.articles, "skipped": self.skipped,
                "duplicates": self.duplicates, "chunks": self.chunks, "embedded": self.embedded,
                "reused": self.reused, "sentences_embedded": self.sentences_embedded,
                "terms_reused": self.terms_reused,
                "sentences_reused": self.sentences_reused, "seconds": self.seconds, "model": self.model}


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


def _verified_live(index_dir: Path) -> Path | None:
    """The live generation, if every file still matches its checksum: the caches below
    copy its vectors and terms into the new generation, so damage must not travel."""
    try:
        gen = store.current_path(index_dir)
        if gen is None:
            return None
        store.read_manifest(gen, verify=True, any_format=True)
        return gen
    except (store.IndexUnavailable, OSError) as exc:
        log.warning("live generation not usable as a cache, analysing and embedding everything: %s", exc)
        return None


def _previous_embeddings(gen: Path | None, model: str) -> dict[bytes, np.ndarray]:
    """Vectors of the (verified) live generation by content hash, when built with the same model."""
    cache: dict[bytes, np.ndarray] = {}
    if gen is None:
        return cache
    try:
        if json.loads((gen / store.MANIFEST).read_text(encoding="utf-8")).get("model") != model:
            return cache
        for vec_name, hash_name in (("embeddings", "chunk_hash"), ("sentence_embeddings", "sentence_hash")):
            hashes = np.load(gen / f"{hash_name}.npy", allow_pickle=False)
            vecs = np.load(gen / f"{vec_name}.npy", allow_pickle=False, mmap_mode="r")
            if len(hashes) == len(vecs):
                cache.update((bytes(h), vecs[i]) for i, h in enumerate(hashes))
    except (OSError, ValueError, AttributeError) as exc:
        log.warning("embedding cache not usable, re-embedding: %s", exc)
    return cache


class _LazyEmbedder:
    """Loads the model only when something needs embedding (a rebuild often needs nothing)."""

    def __init__(self, model: str, embedder: Encoder | None) -> None:
        self.model = model
        self._embedder = embedder

    def get(self) -> Encoder:
        if self._embedder is None:
            self._embedder = load_embedder(self.model)
        return self._embedder


def _embed(lazy: _LazyEmbedder, model: str, texts: list[str], cache: dict[bytes, np.ndarray],
           phase: str, progress: Progress) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectors for `texts` (cached ones reused), their hashes, and how many were embedded."""
    hashes = [content_hash(model, t) for t in texts]
    todo = [i for i, h in enumerate(hashes) if h not in cache]
    dim = lazy.get().dim if todo or not cache else len(next(iter(cache.values())))
    vecs = np.zeros((len(texts), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        if h in cache:
            vecs[i] = cache[h]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        progress(phase, done, len(todo))

    if todo:
        vecs[todo] = lazy.get().passages([texts[i] for i in todo], tick)
    progress(phase, len(todo), len(todo))
    hash_arr = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(len(hashes), 16)
    return vecs, hash_arr, len(todo)


def build(article_paths: Sequence[str | Path], index_dir: Path, model: str | None,
          progress: Progress = _noop, embedder: Encoder | None = None) -> BuildSummary:
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
        sentences: list[list[tuple[int, int]]] = []
        for i, art in enumerate(articles):
            sentences.append(article_sentences(art.text))
            chunks.extend(chunk_article(art, i, sentences[-1]))
        passages = [passage_text(articles[c.article], c) for c in chunks]
        sentence_texts = [art.text[a:b] for art, spans in zip(articles, sentences, strict=True) for a, b in spans]
        summary.chunks = len(chunks)
        abbreviations: dict[str, str] = {}
        for art in articles:
            abbreviations.update(mine_abbreviations(art.text))
        analyzer = Analyzer(abbreviations)
        timer.lap("chunk")
        # Term lists are streamed into each BM25 field, never held: at 1M passages
        # they would take tens of GB. Text the live generation already analysed (same
        # analyser) is not analysed again. `clock` splits tokenise from BM25 time.
        clock = [0.0]
        live = _verified_live(index_dir)
        akey = _analyzer_key(abbreviations)
        reused = [0]

        def analysed(texts: Sequence[str], keys: np.ndarray, folded: bool,
                     field: str) -> Iterator[list[str] | np.ndarray]:
            cache = Lexical.cached_docs(live / f"bm25_{field}", akey) if live else {}
            for n, text in enumerate(texts):
                hit = cache.get(keys[n].tobytes())
                if hit is not None:
                    reused[0] += 1
                    yield hit
                    continue
                t = time.perf_counter()
                terms = analyzer.terms(text, folded=folded)
                clock[0] += time.perf_counter() - t
                if n % 5000 == 0:
                    progress(f"BM25 {field}", n, len(texts))
                yield terms

        name = store.new_generation_name()
        gen = store.generations_dir(index_dir) / (name + store.PARTIAL)
        gen.mkdir(parents=True)
        t_lex = time.perf_counter()
        # Whole articles as a second granularity: fused with passage scores it
        # lifted art@1 by 1.3 points on the dev split.
        whole = [art.title + "\n" + art.text for art in articles]
        # One content key per text, shared by its exact and folded fields.
        p_keys, w_keys = (np.frombuffer(b"".join(map(_text_key, texts)), dtype=np.uint8).reshape(-1, 16)
                          for texts in (passages, whole))
        for field, texts, keys, folded in (("exact", passages, p_keys, False), ("folded", passages, p_keys, True),
                                           ("article_exact", whole, w_keys, False),
                                           ("article_folded", whole, w_keys, True)):
            Lexical.build(analysed(texts, keys, folded, field), keys, akey).save(gen / f"bm25_{field}")
        lexicon = Lexicon.from_runs(_lexicon_runs(analyzer, articles, clock))
        summary.seconds["tokenise"] = round(clock[0], 3)
        summary.seconds["bm25"] = round(time.perf_counter() - t_lex - clock[0], 3)
        summary.terms_reused = reused[0]
        timer.t = time.perf_counter()

        dim = None
        if model is not None:
            # Passages rank; sentences (embedded alone) rank too and choose the quote.
            cache = _previous_embeddings(live, model)
            lazy = _LazyEmbedder(model, embedder)
            p_vecs, p_hashes, p_new = _embed(lazy, model, passages, cache, "embed passages", progress)
            s_vecs, s_hashes, s_new = _embed(lazy, model, sentence_texts, cache, "embed sentences", progress)
            summary.embedded, summary.reused = p_new, len(passages) - p_new
            summary.sentences_embedded, summary.sentences_reused = s_new, len(sentence_texts) - s_new
            dim = p_vecs.shape[1]
            # Sentence vectors are only ever gathered a few hundred at a time, to score
            # candidates: half precision halves their disk and memory.
            for name, arr in (("embeddings", p_vecs), ("chunk_hash", p_hashes),
                              ("sentence_embeddings", s_vecs.astype(np.float16)), ("sentence_hash", s_hashes)):
                np.save(gen / f"{name}.npy", arr, allow_pickle=False)
            timer.lap("embed")
            if needs_ann(len(p_vecs)):
                write_faiss(build_faiss(p_vecs), gen / "vectors.faiss")
            progress("faiss", 1, 1)
            timer.lap("faiss")

        _write_records(gen, articles, chunks, sentences, abbreviations, lexicon)
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


ANALYZER_VERSION = "1"  # bump when text.py's analysis changes, to drop cached term lists


def _analyzer_key(abbreviations: dict[str, str]) -> str:
    """Same key → same terms for the same text (the mined abbreviations are part of it)."""
    blob = json.dumps([ANALYZER_VERSION, sorted(abbreviations.items())], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _lexicon_runs(analyzer: Analyzer, articles: list[Article], clock: list[float]) -> Iterator[list[str]]:
    """Syllable runs for accent restoration, up to LEXICON_SYLLABLES of them: the counts
    have long settled by then, and a million-passage archive's bigram table would not
    fit in memory."""
    budget = LEXICON_SYLLABLES
    for art in articles:
        t = time.perf_counter()
        runs = analyzer.syllables(art.title + "\n" + art.text)
        clock[0] += time.perf_counter() - t
        yield from runs
        budget -= sum(map(len, runs))
        if budget <= 0:
            return


def _write_records(gen: Path, articles: list[Article], chunks: list[Chunk], sentences: list[list[tuple[int, int]]],
                   abbreviations: dict[str, str], lexicon: Lexicon) -> None:
    with (gen / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a.to_json(), ensure_ascii=False) + "\n")
    ptr = np.cumsum([0] + [len(s) for s in sentences]).astype(np.int64)
    arrays: dict[str, np.ndarray] = {
        "chunk_article": np.array([c.article for c in chunks], dtype=np.int32),
        "chunk_span": np.array([(c.start, c.end) for c in chunks], dtype=np.int32).reshape(-1, 2),
        # global sentence range [lo, hi) of each chunk
        "chunk_sentences": np.array([(ptr[c.article] + c.first, ptr[c.article] + c.first + len(c.sentences))
                                     for c in chunks], dtype=np.int64).reshape(-1, 2),
        "sentence_span": np.array([s for spans in sentences for s in spans], dtype=np.int32).reshape(-1, 2),
        "article_sentence_ptr": ptr,
    }
    for name, arr in arrays.items():
        np.save(gen / f"{name}.npy", arr, allow_pickle=False)
    (gen / "abbreviations.json").write_text(json.dumps(abbreviations, ensure_ascii=False), encoding="utf-8")
    (gen / "lexicon.json").write_text(json.dumps(lexicon.to_json(), ensure_ascii=False), encoding="utf-8")
