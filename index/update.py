"""Incremental update: bring the live generation up to date with the articles folder at
a cost that grows with what changed, not with the archive.

The new generation hard-links the live one's base segment (no copy, checksums carried
over) and writes a fresh delta segment: the previous delta's articles that still stand
plus the new and changed ones, BM25 built with the base's average lengths (idf is
computed at query time over both), and the base's replaced or taken-down articles
listed as dead. When the delta outgrows its share of the base, the update is a full
rebuild instead (a merge), run under the same lock.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, layout, store
from .articles import Article, read_articles
from .build import (
    ARTICLE_IDS,
    BuildSummary,
    Corpus,
    Progress,
    Timer,
    analyzer_key,
    build_locked,
    write_lexical,
    write_records,
    write_vectors,
)
from .embedcache import previous_embeddings
from .generation import DEAD_ARTICLES
from .listing import SOURCES, FileEntry, Listing, article_hash, file_of, scan
from .segments import DELTA, LEXICAL_FIELDS
from .text import Analyzer
from .tuning import DEFAULT
from .vectors import Encoder

log = logging.getLogger(__name__)

# A delta (its articles plus the base's dead ones) beyond this share of the base's
# articles is merged by a full rebuild; below the floor, small indexes stay incremental.
MERGE_SHARE = 0.05
MERGE_FLOOR = 300


def _noop(phase: str, done: int, total: int) -> None:
    return None


@dataclass(slots=True)
class Plan:
    listing: Listing  # the folder as it is now
    upserts: list[Article]  # new articles and new versions of changed ones
    gone: set[str]  # ids no file gives any more
    skipped: list[dict[str, str]]

    @property
    def replaced(self) -> set[str]:
        """Ids whose current copy in the index must stop being served."""
        return self.gone | {a.id for a in self.upserts}


def update(article_paths: Sequence[str | Path], index_dir: Path, model: str | None, progress: Progress = _noop,
           embedder: Encoder | None = None, trusted: frozenset[str] = frozenset()) -> BuildSummary:
    """Publish a generation that reflects the folder now; unchanged folder → no new generation.
    `trusted`: live files this process verified already (the bot's serving generation)."""
    with store.build_lock(index_dir):
        store.clean_leftovers(index_dir)
        live = store.current_path(index_dir)
        reason, listing = _why_full(live, model, article_paths, trusted)
        if reason or listing is None:
            log.info("full rebuild instead of an update: %s", reason)
            return build_locked(article_paths, index_dir, model, progress, embedder)
        assert live is not None
        summary = BuildSummary(model=model, mode="delta")
        timer = Timer(summary)
        plan = _plan(article_paths, listing)
        summary.skipped, summary.upserted, summary.removed = plan.skipped, len(plan.upserts), len(plan.gone)
        timer.lap("scan")
        if not plan.upserts and not plan.gone:
            summary.mode, summary.generation = "unchanged", live.name
            summary.articles = int(_manifest(live)["articles"]) - _dead_count(live)  # type: ignore[call-overload]
            return summary
        base_ids = json.loads((live / ARTICLE_IDS).read_text(encoding="utf-8"))
        delta_before = _delta_articles(live)
        delta = [a for a in delta_before if a.id not in plan.replaced] + plan.upserts
        number = {aid: i for i, aid in enumerate(base_ids)}
        dead = sorted(set(_dead_numbers(live)) | {number[i] for i in plan.replaced if i in number})
        if len(delta) + len(dead) > max(MERGE_SHARE * len(base_ids), MERGE_FLOOR):
            log.info("delta of %d articles (%d dead in the base): merging", len(delta), len(dead))
            return build_locked(article_paths, index_dir, model, progress, embedder)
        gone_before = [a for a in delta_before if a.id in plan.replaced]
        gone_before += _base_articles(live, [number[i] for i in plan.replaced if i in number])
        summary.generation = _publish_delta(index_dir, live, plan, Corpus.of(delta), dead, gone_before,
                                            embedder, summary, progress, timer)
        summary.articles = len(base_ids) - len(dead) + len(delta)
        summary.chunks = int(_manifest(store.generations_dir(index_dir) / summary.generation)["chunks"])  # type: ignore[call-overload]
        progress("done", 1, 1)
        return summary


def _manifest(gen: Path) -> dict[str, object]:
    return json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _listing_path(gen: Path) -> Path:
    return gen / DELTA / SOURCES if (gen / DELTA).is_dir() else gen / SOURCES


def _why_full(live: Path | None, model: str | None, roots: Sequence[str | Path],
              trusted: frozenset[str]) -> tuple[str, Listing | None]:
    """Why this update must be a full rebuild ("" when it can be incremental), and the live
    generation's listing of its article files (read once: ~10 MB at 100,000 articles)."""
    if live is None:
        return "no index yet", None
    try:
        manifest = store.read_manifest(live, verify=True, trusted=trusted)
    except store.IndexUnavailable as exc:
        return f"the live generation does not verify ({exc})", None
    if manifest.get("model") != model:
        return f"model changes ({manifest.get('model')} → {model})", None
    try:
        listing = Listing.load(_listing_path(live))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"no usable listing of its articles ({exc})", None
    if listing.roots != [str(r) for r in roots]:
        return "the article folders differ from the live generation's", None
    return _chunking_changed(manifest), listing


def _chunking_changed(manifest: dict[str, object]) -> str:
    """A delta must be cut like its base: new chunking parameters mean a full rebuild."""
    record = manifest.get("tuning")
    values = record.get("values") if isinstance(record, dict) else None
    if not isinstance(values, dict):
        return ""  # built before tuning was recorded: with the defaults it has always had
    now = DEFAULT.to_json()
    changed = [k for k in ("chunk_window", "chunk_stride", "chunk_max_chars") if values.get(k) != now[k]]
    return f"chunking changed ({', '.join(changed)})" if changed else ""


def _plan(roots: Sequence[str | Path], before: Listing) -> Plan:
    """Re-read only the files whose size or modification time changed."""
    now = scan(roots)
    changed = [p for p, sig in now.items() if p not in before.files or before.files[p].signature != sig]
    removed_files = [p for p in before.files if p not in now]
    read = read_articles(changed)
    files = {p: e for p, e in before.files.items() if p in now}
    for p in changed:
        files[p] = FileEntry(now[p])
    old = {aid: h for p in changed + removed_files if p in before.files for aid, h in before.files[p].articles}
    upserts: dict[str, Article] = {}
    for a in read.articles:
        h = article_hash(a)
        src = file_of(a.source, now)
        if src is not None and src in files:
            files[src].articles.append((a.id, h))
        if old.get(a.id) != h:
            upserts[a.id] = a
    still = {aid for e in files.values() for aid, _ in e.articles}
    skipped = [{"source": s.source, "reason": s.reason} for s in read.skipped]
    return Plan(Listing(before.roots, files), list(upserts.values()), set(old) - still, skipped)


def _delta_articles(live: Path) -> list[Article]:
    path = live / DELTA / layout.ARTICLES
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [Article.from_json(json.loads(line)) for line in fh]


def _dead_numbers(live: Path) -> list[int]:
    path = live / DELTA / DEAD_ARTICLES
    return [int(x) for x in np.load(path, allow_pickle=False)] if path.exists() else []


def _dead_count(live: Path) -> int:
    return len(_dead_numbers(live))


def _base_articles(live: Path, numbers: Iterable[int]) -> list[Article]:
    """Records of a few base articles, found by line number without parsing the rest."""
    wanted, out = set(numbers), list[Article]()
    if not wanted:
        return out
    with (live / layout.ARTICLES).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n in wanted:
                out.append(Article.from_json(json.loads(line)))
    return out


def _link_base(live: Path, gen: Path, files: dict[str, str]) -> dict[str, str]:
    """Hard-link the live generation's base files into `gen`; their verified checksums."""
    known = {}
    for rel, digest in files.items():
        if rel.startswith(DELTA + "/") or rel == SOURCES:
            continue
        (gen / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(live / rel, gen / rel)
        known[rel] = digest
    return known


def _publish_delta(index_dir: Path, live: Path, plan: Plan, corpus: Corpus, dead: list[int],
                   gone: list[Article], embedder: Encoder | None, summary: BuildSummary,
                   progress: Progress, timer: Timer) -> str:
    before = _manifest(live)
    files = before["files"]
    assert isinstance(files, dict)
    gen = store.generations_dir(index_dir) / (store.new_generation_name() + store.PARTIAL)
    gen.mkdir(parents=True)
    known = _link_base(live, gen, files)
    out = gen / DELTA
    out.mkdir()
    timer.lap("link")
    abbreviations = json.loads((live / layout.ABBREVIATIONS).read_text(encoding="utf-8"))
    avgdl = {f: float(json.loads((live / layout.bm25_dir(f) / "params.json").read_text(encoding="utf-8"))["avgdl"])
             for f in LEXICAL_FIELDS}
    cache_from = live / DELTA if (live / DELTA).is_dir() else None
    write_lexical(out, corpus, Analyzer(abbreviations), analyzer_key(abbreviations), cache_from, summary,
                  progress, avgdl)
    timer.t = time.perf_counter()
    model = before.get("model")
    if model:
        dim = int(before["dim"])  # type: ignore[call-overload]
        write_vectors(out, corpus, str(model), embedder, previous_embeddings(live, str(model), base=False),
                      summary, progress, timer, dim)
    write_records(out, corpus)
    np.save(out / DEAD_ARTICLES, np.array(dead, dtype=np.int64), allow_pickle=False)
    plan.listing.save(out / SOURCES)
    topics: Counter[str] = Counter(before.get("topics") or {})  # type: ignore[call-overload]
    topics.subtract(t for a in gone for t in a.topics)
    topics.update(t for a in corpus.articles for t in a.topics)
    base = before.get("delta") or {}
    assert isinstance(base, dict)
    n_base = int(before["articles"]) - int(base.get("articles", 0))  # type: ignore[call-overload]
    c_base = int(before["chunks"]) - int(base.get("chunks", 0))  # type: ignore[call-overload]
    store.write_manifest(gen, {
        "package_version": __version__, "model": model, "dim": before.get("dim"),
        "articles": n_base + len(corpus.articles), "chunks": c_base + len(corpus.chunks),
        "topics": dict((+topics).most_common()), "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base_built_at": before.get("base_built_at", before.get("built_at")), "skipped": len(plan.skipped),
        "delta": {"articles": len(corpus.articles), "chunks": len(corpus.chunks), "dead": len(dead)},
        **{k: before[k] for k in ("tuning", "calibration") if k in before},  # calibration.json is linked
    }, known)
    timer.lap("write")
    name = store.publish(index_dir, gen).name
    timer.lap("publish")
    return name
