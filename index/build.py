"""Build a new index generation from article files, reusing cached embeddings."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__, layout, store
from .accents import Lexicon
from .articles import Article, read_articles
from .chunks import Chunk, article_sentences, chunk_article, passage_text
from .embedcache import LazyEmbedder, embed, previous_embeddings
from .lexical import Lexical
from .listing import SOURCES, make_listing, scan
from .text import Analyzer, mine_abbreviations
from .tuning import DEFAULT, Tuning
from .vectors import Encoder, build_faiss, needs_ann, write_faiss

log = logging.getLogger(__name__)
ARTICLE_IDS = layout.ARTICLE_IDS
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
    mode: str = "full"  # "full", "delta" (an incremental update) or "unchanged"
    upserted: int = 0  # an update's new or changed articles
    removed: int = 0  # an update's articles gone from the folder


    def to_json(self) -> dict[str, object]:
        return {"generation": self.generation, "articles": self.articles, "skipped": self.skipped,
                "duplicates": self.duplicates, "chunks": self.chunks, "embedded": self.embedded,
                "reused": self.reused, "sentences_embedded": self.sentences_embedded,
                "terms_reused": self.terms_reused,
                "sentences_reused": self.sentences_reused, "seconds": self.seconds, "model": self.model,
                "mode": self.mode, "upserted": self.upserted, "removed": self.removed}


def _noop(phase: str, done: int, total: int) -> None:
    return None


class Timer:
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


@dataclass(slots=True)
class Corpus:
    """Articles cut into what is indexed: passages (chunks) and sentences."""

    articles: list[Article]
    chunks: list[Chunk]
    sentences: list[list[tuple[int, int]]]  # per article, spans into its text
    passages: list[str]
    sentence_texts: list[str]

    @classmethod
    def of(cls, articles: list[Article], tuning: Tuning = DEFAULT) -> Corpus:
        chunks: list[Chunk] = []
        sentences: list[list[tuple[int, int]]] = []
        for i, art in enumerate(articles):
            sentences.append(article_sentences(art.text))
            chunks.extend(chunk_article(art, i, sentences[-1], tuning))
        return cls(articles, chunks, sentences, [passage_text(articles[c.article], c) for c in chunks],
                   [art.text[a:b] for art, spans in zip(articles, sentences, strict=True) for a, b in spans])


def build(article_paths: Sequence[str | Path], index_dir: Path, model: str | None,
          progress: Progress = _noop, embedder: Encoder | None = None) -> BuildSummary:
    """Read, chunk, index and publish a new generation. `model=None` builds BM25 only.

    Raises before publishing on any failure, so the live generation keeps serving.
    """
    with store.build_lock(index_dir):
        return build_locked(article_paths, index_dir, model, progress, embedder)


def build_locked(article_paths: Sequence[str | Path], index_dir: Path, model: str | None,
                 progress: Progress = _noop, embedder: Encoder | None = None) -> BuildSummary:
    """`build`, with the index lock already held (an update that turns into a merge)."""
    summary = BuildSummary(model=model)
    timer = Timer(summary)
    store.clean_leftovers(index_dir)
    signatures = scan(article_paths)
    read = read_articles(article_paths)
    summary.articles, summary.duplicates = len(read.articles), read.duplicates
    summary.skipped = [{"source": s.source, "reason": s.reason} for s in read.skipped]
    if not read.articles:
        raise ValueError("no readable articles in " + ", ".join(map(str, article_paths)))
    progress("parse", len(read.articles), len(read.articles))
    timer.lap("parse")
    corpus = Corpus.of(read.articles)
    summary.chunks = len(corpus.chunks)
    abbreviations: dict[str, str] = {}
    for art in corpus.articles:
        abbreviations.update(mine_abbreviations(art.text))
    analyzer = Analyzer(abbreviations)
    timer.lap("chunk")
    live = _verified_live(index_dir)
    gen = store.generations_dir(index_dir) / (store.new_generation_name() + store.PARTIAL)
    gen.mkdir(parents=True)
    write_lexical(gen, corpus, analyzer, analyzer_key(abbreviations), live, summary, progress)
    lexicon = Lexicon.from_runs(_lexicon_runs(analyzer, corpus.articles, summary))
    timer.t = time.perf_counter()
    dim = write_vectors(gen, corpus, model, embedder, previous_embeddings(live, model) if model else {},
                        summary, progress, timer) if model is not None else None
    write_records(gen, corpus)
    calibration = carry_calibration(live, gen, model)
    (gen / layout.ABBREVIATIONS).write_text(json.dumps(abbreviations, ensure_ascii=False), encoding="utf-8")
    (gen / layout.LEXICON).write_text(json.dumps(lexicon.to_json(), ensure_ascii=False), encoding="utf-8")
    make_listing(article_paths, signatures, corpus.articles).save(gen / SOURCES)
    topics = Counter(t for a in corpus.articles for t in a.topics)
    store.write_manifest(gen, {
        "package_version": __version__, "model": model, "dim": dim,
        "articles": len(corpus.articles), "chunks": len(corpus.chunks), "topics": dict(topics.most_common()),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "skipped": len(read.skipped),
        "tuning": tuning_record(), **({"calibration": calibration} if calibration else {}),
    })
    timer.lap("write")
    summary.generation = store.publish(index_dir, gen).name
    timer.lap("publish")
    progress("done", 1, 1)
    return summary


def tuning_record(tuning: Tuning = DEFAULT) -> dict[str, object]:
    """What the manifest says of the tuning a generation was built with (its passages are cut
    by it; the query-time values are those of the code that built it)."""
    return {"version": tuning.version, "values": tuning.to_json()}


def carry_calibration(live: Path | None, gen: Path, model: str | None) -> dict[str, object] | None:
    """A rebuild with the live generation's model keeps its confidence fit (it is the
    model's, not the articles'); the manifest entry it had, or None."""
    if live is None or model is None or not (live / layout.CALIBRATION).exists():
        return None
    manifest = json.loads((live / layout.MANIFEST).read_text(encoding="utf-8"))
    entry = manifest.get("calibration")
    if manifest.get("model") != model or not isinstance(entry, dict) or entry.get("model") != model:
        return None
    os.link(live / layout.CALIBRATION, gen / layout.CALIBRATION)
    return entry


def write_lexical(out: Path, corpus: Corpus, analyzer: Analyzer, akey: str, cache_from: Path | None,
                  summary: BuildSummary, progress: Progress, avgdl: dict[str, float] | None = None) -> None:
    """The four BM25 fields of `corpus` into `out`. Term lists are streamed into each
    field, never held (at 1M passages they would take tens of GB); text that `cache_from`
    analysed with the same analyser is not analysed again. `avgdl`: a delta's base's."""
    t_lex, clock = time.perf_counter(), 0.0

    def analysed(texts: Sequence[str], keys: np.ndarray, folded: bool,
                 name: str) -> Iterator[list[str] | np.ndarray]:
        nonlocal clock
        cache = Lexical.cached_docs(cache_from / layout.bm25_dir(name), akey) if cache_from else {}
        for n, text in enumerate(texts):
            hit = cache.get(keys[n].tobytes())
            if hit is not None:
                summary.terms_reused += 1
                yield hit
                continue
            t = time.perf_counter()
            terms = analyzer.terms(text, folded=folded)
            clock += time.perf_counter() - t
            if n % 5000 == 0:
                progress(f"BM25 {name}", n, len(texts))
            yield terms

    # Whole articles as a second granularity, fused with passage scores (its gain:
    # docs/answers.md, "How the hybrid got there").
    whole = [art.title + "\n" + art.text for art in corpus.articles]
    # One content key per text, shared by its exact and folded fields.
    p_keys, w_keys = (np.frombuffer(b"".join(map(_text_key, texts)), dtype=np.uint8).reshape(-1, 16)
                      for texts in (corpus.passages, whole))
    for name, texts, keys, folded in (("exact", corpus.passages, p_keys, False),
                                      ("folded", corpus.passages, p_keys, True),
                                      ("article_exact", whole, w_keys, False), ("article_folded", whole, w_keys, True)):
        Lexical.build(analysed(texts, keys, folded, name), keys, akey,
                      avgdl[name] if avgdl else None).save(out / layout.bm25_dir(name))
    summary.seconds["tokenise"] = round(summary.seconds.get("tokenise", 0.0) + clock, 3)
    summary.seconds["bm25"] = round(time.perf_counter() - t_lex - clock, 3)


def write_vectors(out: Path, corpus: Corpus, model: str, embedder: Encoder | None, cache: dict[bytes, np.ndarray],
                  summary: BuildSummary, progress: Progress, timer: Timer, dim: int | None = None) -> int:
    """Passage and sentence vectors (sentences rank too, and choose the quote).
    `dim`: the model's, when known (a delta with nothing to embed never loads the model)."""
    lazy = LazyEmbedder(model, embedder, dim)
    p_vecs, p_hashes, p_new = embed(lazy, model, corpus.passages, cache, "embed passages", progress)
    s_vecs, s_hashes, s_new = embed(lazy, model, corpus.sentence_texts, cache, "embed sentences", progress)
    summary.embedded, summary.reused = p_new, len(corpus.passages) - p_new
    summary.sentences_embedded, summary.sentences_reused = s_new, len(corpus.sentence_texts) - s_new
    # Sentence vectors are only ever gathered a few hundred at a time, to score
    # candidates: half precision halves their disk and memory.
    (p_name, p_hash), (s_name, s_hash) = layout.VECTORS
    for name, arr in ((p_name, p_vecs), (p_hash, p_hashes), (s_name, s_vecs.astype(np.float16)), (s_hash, s_hashes)):
        np.save(out / layout.npy(name), arr, allow_pickle=False)
    timer.lap("embed")
    if needs_ann(len(p_vecs)):
        write_faiss(build_faiss(p_vecs), out / layout.FAISS)
    progress("faiss", 1, 1)
    timer.lap("faiss")
    return int(p_vecs.shape[1])


ANALYZER_VERSION = "1"  # bump when text.py's analysis changes, to drop cached term lists


def analyzer_key(abbreviations: dict[str, str]) -> str:
    """Same key → same terms for the same text (the mined abbreviations are part of it)."""
    blob = json.dumps([ANALYZER_VERSION, sorted(abbreviations.items())], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _lexicon_runs(analyzer: Analyzer, articles: list[Article], summary: BuildSummary) -> Iterator[list[str]]:
    """Syllable runs for accent restoration, up to LEXICON_SYLLABLES of them: the counts
    have long settled by then, and a million-passage archive's bigram table would not
    fit in memory."""
    budget = LEXICON_SYLLABLES
    for art in articles:
        t = time.perf_counter()
        runs = analyzer.syllables(art.title + "\n" + art.text)
        summary.seconds["tokenise"] = summary.seconds.get("tokenise", 0.0) + time.perf_counter() - t
        yield from runs
        budget -= sum(map(len, runs))
        if budget <= 0:
            return


def write_records(gen: Path, corpus: Corpus) -> None:
    with (gen / layout.ARTICLES).open("w", encoding="utf-8") as fh:
        for a in corpus.articles:
            fh.write(json.dumps(a.to_json(), ensure_ascii=False) + "\n")
    # ids alone, in order: an update maps ids to numbers without parsing every record
    (gen / ARTICLE_IDS).write_text(json.dumps([a.id for a in corpus.articles]), encoding="utf-8")
    sentences, chunks = corpus.sentences, corpus.chunks
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
        np.save(gen / layout.npy(name), arr, allow_pickle=False)
