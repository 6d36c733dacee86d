"""Incremental updates: a delta segment beside the archive, with corpus-wide BM25."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import store
from index import update as update_mod
from index.answer import Engine
from index.build import build
from index.generation import load
from index.update import update
from tests.conftest import SAMPLE

BRIDGE = ("Cầu Rào Tre hoàn thành\n\n(Baohatinh.vn) - Cầu Rào Tre dài 86 mét đã thông xe sáng 1/9. "
          "Cây cầu nối hai bờ sông Rào Cái, do xã Thạch Hà góp vốn cùng tỉnh.\n\nChủ đề Giao thông\n")
BRIDGE_Q = "Cầu Rào Tre dài bao nhiêu mét?"


@pytest.fixture
def arts(tmp_path: Path) -> Path:
    out = tmp_path / "articles"
    shutil.copytree(SAMPLE, out)
    return out


def _ids(engine: Engine, question: str, k: int = 3) -> list[str]:
    return [h.article_id for h in engine.answer(question, k=k).hits]


def test_unchanged_folder_publishes_nothing(arts: Path, tmp_path: Path) -> None:
    first = build([arts], tmp_path / "idx", None)
    s = update([arts], tmp_path / "idx", None)
    assert (s.mode, s.generation, s.upserted, s.removed) == ("unchanged", first.generation, 0, 0)
    assert store.generation_names(tmp_path / "idx") == [first.generation]


def test_new_article_becomes_answerable_with_corpus_wide_statistics(arts: Path, tmp_path: Path) -> None:
    build([arts], tmp_path / "idx", None)
    before = load(tmp_path / "idx")
    (arts / "cau.txt").write_text(BRIDGE, encoding="utf-8")
    s = update([arts], tmp_path / "idx", None)
    assert (s.mode, s.upserted, s.removed, s.articles) == ("delta", 1, 0, 7)
    gen = load(tmp_path / "idx", previous=before)
    assert gen.delta is not None and len(gen.delta.articles) == 1
    assert gen.base is before.base  # the archive was neither re-read nor re-verified
    # the base files are the previous generation's, hard-linked, not copies
    for rel in ("bm25_exact/data.npy", "articles.jsonl", "chunk_span.npy"):
        assert (gen.path / rel).stat().st_ino == (before.path / rel).stat().st_ino
    ans = Engine(gen).answer(BRIDGE_Q)
    assert ans.answered and ans.hits[0].title == "Cầu Rào Tre hoàn thành" and "86 mét" in ans.hits[0].quote
    assert gen.topics()["Giao thông"] == 1
    # the same folder built from scratch: same idf for every term, same ranking
    full = load(tmp_path / "full") if build([arts], tmp_path / "full", None) else None
    assert full is not None and full.delta is None
    for q in (BRIDGE_Q, "chuyển đổi số cấp xã", "giá lúa hè thu", "tuyển sinh lớp 10", "ca trù"):
        terms = gen.analyzer.terms(q)
        assert [gen.exact.idf(t) for t in terms] == pytest.approx([full.exact.idf(t) for t in terms])
        assert _ids(Engine(gen), q) == _ids(Engine(full), q), q


def test_changed_article_is_replaced_not_duplicated(arts: Path, tmp_path: Path) -> None:
    build([arts], tmp_path / "idx", None)
    page = arts / "05-benh-vien-so.txt"
    old = page.read_text(encoding="utf-8")
    assert "3,5 tỷ đồng" in old
    page.write_text(old.replace("3,5 tỷ đồng", "4,2 tỷ đồng"), encoding="utf-8")
    s = update([arts], tmp_path / "idx", None)
    assert (s.mode, s.upserted, s.removed, s.articles) == ("delta", 1, 0, 6)
    gen = load(tmp_path / "idx")
    assert gen.dead_articles is not None and gen.dead_articles.sum() == 1
    assert len({a.id for a in gen.live_articles}) == len(gen.live_articles) == 6
    ans = Engine(gen).answer("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", k=5)
    quotes = " ".join(h.quote + h.context for h in ans.hits)
    assert "4,2 tỷ đồng" in quotes and "3,5 tỷ đồng" not in quotes
    assert len([h for h in ans.hits if h.title == ans.hits[0].title]) == 1


def test_removed_file_leaves_every_answer(arts: Path, tmp_path: Path) -> None:
    build([arts], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    q = "Lễ hội ca trù Cổ Đạm"
    gone = Engine(gen).answer(q).hits[0]
    topic_before = gen.topics()
    (arts / "06-le-hoi-ca-tru.txt").unlink()
    s = update([arts], tmp_path / "idx", None)
    assert (s.mode, s.removed, s.articles) == ("delta", 1, 5)
    gen = load(tmp_path / "idx")
    assert gone.article_id not in {a.id for a in gen.live_articles}
    assert gone.article_id not in _ids(Engine(gen), q, k=10)
    for t in gone.topics:
        assert gen.topics().get(t, 0) == topic_before[t] - 1
    info = json.loads((gen.path / store.MANIFEST).read_text(encoding="utf-8"))
    assert info["delta"] == {"articles": 0, "chunks": 0, "dead": 1}


def test_successive_updates_keep_one_delta_and_a_new_article_that_then_vanishes(arts: Path, tmp_path: Path) -> None:
    build([arts], tmp_path / "idx", None)
    (arts / "cau.txt").write_text(BRIDGE, encoding="utf-8")
    update([arts], tmp_path / "idx", None)
    (arts / "cau-2.txt").write_text(BRIDGE.replace("Rào Tre", "Khe Giao").replace("86", "120"), encoding="utf-8")
    update([arts], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    assert gen.delta is not None and sorted(a.title for a in gen.delta.articles) == [
        "Cầu Khe Giao hoàn thành", "Cầu Rào Tre hoàn thành"]
    (arts / "cau.txt").unlink()
    s = update([arts], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    assert (s.removed, s.articles) == (1, 7)
    assert "Cầu Rào Tre hoàn thành" not in [h.title for h in Engine(gen).answer(BRIDGE_Q, k=10).hits]
    assert gen.dead_articles is not None and not gen.dead_articles.any()  # it was only ever in the delta


def test_a_large_delta_is_merged_by_a_full_rebuild(arts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build([arts], tmp_path / "idx", None)
    monkeypatch.setattr(update_mod, "MERGE_FLOOR", 0)
    (arts / "cau.txt").write_text(BRIDGE, encoding="utf-8")
    s = update([arts], tmp_path / "idx", None)
    assert s.mode == "full" and s.articles == 7
    assert load(tmp_path / "idx").delta is None


def test_a_failed_update_leaves_the_live_generation(arts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = build([arts], tmp_path / "idx", None)
    (arts / "cau.txt").write_text(BRIDGE, encoding="utf-8")

    def broken(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(update_mod, "write_records", broken)
    with pytest.raises(OSError, match="No space"):
        update([arts], tmp_path / "idx", None)
    assert store.current_name(tmp_path / "idx") == first.generation
    assert load(tmp_path / "idx").name == first.generation
    monkeypatch.undo()
    s = update([arts], tmp_path / "idx", None)  # cleans the partial generation, then succeeds
    assert s.mode == "delta"
    assert not [p for p in (tmp_path / "idx" / "generations").iterdir() if p.name.endswith(store.PARTIAL)]


def test_damaged_delta_is_refused_and_named(arts: Path, tmp_path: Path) -> None:
    build([arts], tmp_path / "idx", None)
    (arts / "cau.txt").write_text(BRIDGE, encoding="utf-8")
    update([arts], tmp_path / "idx", None)
    gen = store.current_path(tmp_path / "idx")
    assert gen is not None
    dead = gen / "delta" / "dead_articles.npy"
    np.save(dead, np.array([0], dtype=np.int64), allow_pickle=False)
    with pytest.raises(store.IndexUnavailable, match=r"dead_articles\.npy: checksum mismatch"):
        load(tmp_path / "idx")


@pytest.mark.slow
def test_update_embeds_only_new_text(arts: Path, tmp_path: Path, tiny_model: Path) -> None:
    first = build([arts], tmp_path / "idx", str(tiny_model))
    (arts / "cau.txt").write_text(BRIDGE, encoding="utf-8")
    s = update([arts], tmp_path / "idx", str(tiny_model))
    gen = load(tmp_path / "idx", model=str(tiny_model))
    assert gen.delta is not None and s.embedded == gen.delta.n_chunks and s.reused == 0
    assert s.sentences_embedded == len(gen.delta.sentence_span)
    assert gen.n_chunks == first.chunks + gen.delta.n_chunks
    from index.vectors import load_embedder

    engine = Engine(gen, load_embedder(str(tiny_model)))
    assert engine.answer(BRIDGE_Q).hits[0].title == "Cầu Rào Tre hoàn thành"
    # the dense side alone finds it too: the delta's vectors are searched beside the base's
    qvec = engine.retriever.query_vector("query: " + BRIDGE_Q)
    from index.vectors import nearest

    top = nearest(gen.embeddings, gen.faiss_index, qvec, gen.n_chunks)  # type: ignore[arg-type]
    assert set(top.tolist()) == set(range(gen.n_chunks))
