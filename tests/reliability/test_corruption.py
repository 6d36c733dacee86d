"""Corruption: every file of a generation truncated or bit-flipped in turn. Loading
refuses it naming the file; the bot keeps answering from the last good generation
(at start-up too) and keeps polling."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.service import IndexService
from index import store
from index.build import build
from index.generation import load
from index.settings import IndexSettings
from tests.bot_harness import ADMIN, running_bot
from tests.reliability.conftest import Cases
from tests.reliability.helpers import EXTRA, article_sets, fingerprint


def truncate(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size // 2)


def bitflip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    if not data:
        data = bytearray(b"\x01")
    else:
        data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": truncate, "bit-flipped": bitflip}


def _files(gen: Path) -> list[str]:
    return [*sorted(json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))["files"]),
            store.MANIFEST, store.MANIFEST_SUM]


@pytest.mark.group("Corruption: each file truncated / bit-flipped, load refuses naming it")
def test_every_damaged_file_is_refused_by_name(tmp_path: Path, tiny_model: Path, cases: Cases) -> None:
    a, _ = article_sets(tmp_path)
    pristine = tmp_path / "pristine"
    build([a], pristine, str(tiny_model))  # with vectors: every kind of file there is
    gen_name = store.current_name(pristine)
    assert gen_name
    files = _files(store.generations_dir(pristine) / gen_name)
    assert {"embeddings.npy", "sentence_embeddings.npy", "bm25_exact/terms.npy", "articles.jsonl"} <= set(files)
    for rel in files:
        for how, damage in DAMAGE.items():
            work = tmp_path / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(pristine, work)
            damage(store.generations_dir(work) / gen_name / rel)
            with pytest.raises(store.IndexUnavailable) as err:
                load(work)
            named = rel if not rel.startswith("manifest") else "manifest"
            assert named in str(err.value), f"{how} {rel}: {err.value}"
            cases.add()


REAL_PUBLISH = store.publish


def _corrupting_publish(rel: str, damage: Callable[[Path], None]) -> Callable[[Path, Path], Path]:
    def publish(index_dir: Path, partial: Path) -> Path:
        final = REAL_PUBLISH(index_dir, partial)
        damage(final / rel)  # damaged after the switch, before the bot loads it
        return final
    return publish


@pytest.mark.group("Corruption: damaged new generation, the service keeps the last good one")
def test_service_keeps_serving_when_the_new_generation_is_damaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cases: Cases) -> None:
    a, b = article_sets(tmp_path)
    index_dir = tmp_path / "index"
    build([a], index_dir, None)
    good = fingerprint(index_dir)
    live = tmp_path / "live-articles"
    shutil.copytree(b, live)
    svc = IndexService(IndexSettings(index_dir, live, None))
    svc.load()
    serving = svc.engine
    assert serving is not None
    files = _files(store.generations_dir(index_dir) / str(store.current_name(index_dir)))
    for rel in files:
        for how, damage in DAMAGE.items():
            monkeypatch.setattr(store, "publish", _corrupting_publish(rel, damage))
            assert svc.start_rebuild()
            while svc.rebuild.running:
                asyncio.run(asyncio.sleep(0.02))
            assert svc.rebuild.error and "IndexUnavailable" in svc.rebuild.error, f"{how} {rel}"
            assert svc.engine is serving  # the generation in memory keeps answering
            ans = svc.answer("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
            assert ans is not None and ans.answered and "3,5 tỷ" in ans.hits[0].quote
            # and a restart now (CURRENT names the damaged one) serves the last good generation
            fresh = IndexService(IndexSettings(index_dir, live, None))
            fresh.load()
            assert fresh.engine is not None and fresh.error and rel.split("/")[-1] in fresh.error
            cases.add()
    monkeypatch.undo()
    with pytest.raises(store.IndexUnavailable):  # CURRENT names a damaged generation
        load(index_dir)
    svc.start_rebuild()  # a clean rebuild heals it
    while svc.rebuild.running:
        asyncio.run(asyncio.sleep(0.02))
    assert svc.rebuild.error is None and fingerprint(index_dir) != good


@pytest.mark.group("Corruption: damaged new generation, the service keeps the last good one")
async def test_bot_keeps_polling_and_answering_after_a_damaged_rebuild(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, cases: Cases) -> None:
    async with running_bot(tmp_path, caplog) as bot:
        (bot.articles / "07-bong-chuyen.txt").write_text(EXTRA, encoding="utf-8")
        monkeypatch.setattr(store, "publish", _corrupting_publish("bm25_exact/data.npy", bitflip))
        before = bot.svc.engine
        await bot.ask("/reindex", uid=ADMIN)
        assert await asyncio.to_thread(bot.fake.wait_for, lambda: any(
            "thất bại" in c.params["text"] for c in bot.fake.sent("editMessageText")), 60)
        assert bot.svc.engine is before
        [reply] = await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
        assert "3,5 tỷ đồng" in reply
        [stats] = await bot.ask("/stats", uid=ADMIN)
        assert "bm25_exact/data.npy" in stats
        monkeypatch.undo()
        await bot.ask("/reindex", uid=ADMIN)  # a clean rebuild heals it
        assert await asyncio.to_thread(bot.fake.wait_for, lambda: bot.svc.engine is not before, 60)
        [reply] = await bot.ask("Đội bóng chuyền nữ trẻ Hà Tĩnh giành huy chương gì?")
        assert "huy chương vàng" in bot.plain(reply)
        cases.add()


@pytest.mark.group("Bad input: pickle payloads planted in INDEX_DIR are never loaded")
def test_planted_pickles_are_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cases: Cases) -> None:
    a, _ = article_sets(tmp_path)
    index_dir = tmp_path / "index"
    build([a], index_dir, None)
    gen = store.current_path(index_dir)
    assert gen is not None
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps(Evil())
    # 1) an extra file of any name; 2) a listed .npy replaced by an object array (pickled inside);
    # 3) the same with the manifest's checksum forged to match, so only allow_pickle=False stands.
    for name in ("index.pkl", "vectors.joblib", "model.pt", "bm25_exact/extra.npy"):
        work = tmp_path / f"w-{name.replace('/', '_')}"
        shutil.copytree(index_dir, work)
        (store.current_path(work) / name).write_bytes(payload)  # type: ignore[operator]
        with pytest.raises(store.IndexUnavailable, match="not listed"):
            load(work)
        cases.add()
    for rel in ("chunk_article.npy", "bm25_exact/data.npy", "bm25_folded/terms.npy"):
        for forge in (False, True):
            work = tmp_path / f"npy-{rel.replace('/', '_')}-{forge}"
            shutil.copytree(index_dir, work)
            g = store.current_path(work)
            assert g is not None
            np.save(g / rel, np.array([Evil()], dtype=object), allow_pickle=True)
            if forge:
                m = json.loads((g / store.MANIFEST).read_text(encoding="utf-8"))
                m["files"][rel] = store.sha256_file(g / rel)
                (g / store.MANIFEST).write_text(json.dumps(m), encoding="utf-8")
                (g / store.MANIFEST_SUM).write_text(store.sha256_file(g / store.MANIFEST), encoding="utf-8")
            with pytest.raises(store.IndexUnavailable):
                load(work)
            cases.add()
    assert not marker.exists()
