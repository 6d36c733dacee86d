from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.answer import Engine
from index.build import build
from index.generation import load
from index.vectors import Embedder, ModelError
from tests.backend_params import BACKENDS, live_engine, publish
from tests.backend_params import env as backend_env
from tests.conftest import ARTICLES, SAMPLE
from tests.reliability.helpers import PROBES

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def embedder(tiny_model: Path) -> Embedder:
    return Embedder(str(tiny_model))


def _copy_articles(dst: Path) -> Path:
    shutil.copytree(SAMPLE, dst)
    return dst


def test_build_and_load_with_real_vectors(tmp_path: Path, tiny_model: Path, embedder: Embedder) -> None:
    s = build([ARTICLES, SAMPLE], tmp_path / "idx", str(tiny_model), embedder=embedder)
    assert s.articles == 13 and s.chunks > 13 and s.embedded == s.chunks and s.reused == 0
    assert {"empty file", "missing title or text"} <= {x["reason"] for x in s.skipped}
    gen = load(tmp_path / "idx", model=str(tiny_model))
    assert gen.name == s.generation and gen.n_chunks == s.chunks
    assert gen.embeddings is not None and gen.embeddings.shape == (s.chunks, embedder.dim)
    assert np.allclose(np.linalg.norm(gen.embeddings, axis=1), 1.0, atol=1e-4)
    assert gen.faiss_index is None  # small: exact search over the embeddings, no HNSW copy
    assert gen.sentence_embeddings is not None and gen.sentence_embeddings.dtype == np.float16
    # the stored vector of a passage is what the model gives for it
    q = embedder.passages(["x"])  # warm
    assert q.shape == (1, embedder.dim)
    m = gen.manifest
    assert m["model"] == str(tiny_model) and m["dim"] == embedder.dim and m["format_version"] == store.FORMAT_VERSION
    assert m["topics"]["Chuyển đổi số"] >= 3  # type: ignore[index]
    assert all(len(v) == 64 for v in m["files"].values())  # type: ignore[union-attr]
    # nothing pickled: every .npy loads with allow_pickle=False
    for f in gen.path.rglob("*.npy"):
        np.load(f, allow_pickle=False)


def test_incremental_rebuild_reembeds_only_the_changed_article(tmp_path: Path, tiny_model: Path,
                                                              embedder: Embedder) -> None:
    arts = _copy_articles(tmp_path / "articles")
    first = build([arts], tmp_path / "idx", str(tiny_model), embedder=embedder)
    again = build([arts], tmp_path / "idx", str(tiny_model), embedder=embedder)
    assert again.embedded == 0 and again.reused == first.chunks
    f = arts / "06-le-hoi-ca-tru.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("25 thành viên", "27 thành viên"), encoding="utf-8")
    changed = build([arts], tmp_path / "idx", str(tiny_model), embedder=embedder)
    gen = load(tmp_path / "idx")
    art = next(i for i, a in enumerate(gen.articles) if a.url and a.url.endswith("ca-tru-co-dam"))
    chunks_of_article = int((gen.chunk_article == art).sum())
    # only passages holding the edited sentence, plus the article's others whose text is unchanged are reused
    assert 1 <= changed.embedded <= chunks_of_article
    assert changed.reused == changed.chunks - changed.embedded
    # two generations kept
    assert len([p for p in (tmp_path / "idx" / "generations").iterdir()]) == 2


def test_bm25_only_build_and_model_error(tmp_path: Path) -> None:
    s = build([SAMPLE], tmp_path / "idx", None)
    assert s.embedded == 0 and s.model is None
    gen = load(tmp_path / "idx")
    assert gen.embeddings is None and gen.faiss_index is None
    with pytest.raises(ModelError, match="EMBEDDING_MODEL"):
        build([SAMPLE], tmp_path / "idx", str(tmp_path / "no-such-model"))
    assert load(tmp_path / "idx").name == gen.name  # the failed build changed nothing


def test_model_mismatch_is_refused(tmp_path: Path, tiny_model: Path, embedder: Embedder) -> None:
    build([SAMPLE], tmp_path / "idx", str(tiny_model), embedder=embedder)
    with pytest.raises(store.IndexUnavailable, match="built with model"):
        load(tmp_path / "idx", model="another/model")


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete", "plant_pickle", "bad_format"])
def test_damaged_generation_is_refused_naming_the_file(tmp_path: Path, tiny_model: Path, embedder: Embedder,
                                                       damage: str) -> None:
    build([SAMPLE], tmp_path / "idx", str(tiny_model), embedder=embedder)
    gen = store.current_path(tmp_path / "idx")
    assert gen is not None
    target = gen / "embeddings.npy"
    if damage == "flip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "delete":
        target.unlink()
    elif damage == "plant_pickle":
        target = gen / "bm25_exact" / "evil.pkl"
        target.write_bytes(b"\x80\x04cos\nsystem\n.")
    else:
        target = gen / "manifest.json"
        m = json.loads(target.read_text(encoding="utf-8"))
        m["format_version"] = 99
        target.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(store.IndexUnavailable) as err:
        load(tmp_path / "idx")
    assert target.name in str(err.value)


def _cli(*args: str, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}
    return subprocess.Popen([sys.executable, "-m", "index", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_build_killed_part_way_leaves_the_previous_generation(tmp_path: Path, tiny_model: Path,
                                                              backend: str) -> None:
    idx = tmp_path / "idx"
    arts = _copy_articles(tmp_path / "articles")
    build([arts], idx, None)
    publish(idx, backend)
    before = load(idx)
    answers = _probe(live_engine(idx, backend))
    gens = idx / "generations"
    # Killed by the build itself at a named step (store.fault_point), not after a guessed
    # delay: complete but not yet live, then all data written into the .partial directory.
    for point in ("renamed", "written"):
        out = subprocess.run([sys.executable, "-m", "index", "build", "--articles", str(arts), str(ARTICLES),
                              "--index-dir", str(idx), "--model", str(tiny_model)],
                             env={**os.environ, "PYTHONPATH": str(ROOT), store.FAULT_ENV: f"{point}:1",
                                  **backend_env(idx, backend)},
                             capture_output=True, timeout=600)
        assert out.returncode == -signal.SIGKILL, out.stderr.decode()[-2000:]
        assert bool([p for p in gens.iterdir() if p.name.endswith(store.PARTIAL)]) == (point == "written")
        after = load(idx)  # verifies every checksum
        assert after.name == before.name
        assert [a.id for a in after.articles] == [a.id for a in before.articles]
        assert store.current_name(idx) == before.name
        served = live_engine(idx, backend)  # the collection, too, still serves the old generation
        assert served.gen.name == before.name and _probe(served) == answers
    # the next build cleans the leftovers, publishes, and prunes down to one fallback
    s = build([arts], idx, None)
    assert not [p for p in gens.iterdir() if p.name.endswith(store.PARTIAL)]
    # (with Qdrant the generation its collection still serves is pinned: at most one more)
    assert len(store.generation_names(idx)) <= store.KEEP + (backend == "qdrant")
    assert load(idx).name == s.generation
    publish(idx, backend)
    assert live_engine(idx, backend).gen.name == s.generation


def _probe(engine: Engine) -> list[tuple[str, ...]]:
    return [tuple(h.quote for h in engine.answer(q).hits) for q in PROBES]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_build_info_json(tmp_path: Path, backend: str) -> None:
    idx = tmp_path / "idx"
    out = _cli("build", "--articles", str(SAMPLE), str(ARTICLES / "empty.txt"), "--index-dir", str(idx),
               "--no-vectors", "--json", extra=backend_env(idx, backend)).communicate(timeout=120)[0]
    summary = json.loads(out)
    assert summary["articles"] == 6 and summary["chunks"] > 6
    assert summary["embedded"] == 0 and summary["reused"] == 0
    assert summary["skipped"] == [{"source": str(ARTICLES / "empty.txt"), "reason": "empty file"}]
    assert set(summary["seconds"]) >= {"parse", "tokenise", "bm25", "write"}
    info = json.loads(_cli("info", "--index-dir", str(idx), "--json",
                           extra=backend_env(idx, backend)).communicate(timeout=60)[0])
    assert info["articles"] == 6 and info["chunks"] == summary["chunks"]
    assert info["backend"] == backend
    if backend == "qdrant":  # the build pushed: the collection serves the new generation
        assert info["collection"] and info["collection_generation"] == summary["generation"]
    assert info["generation"] == summary["generation"] and info["model"] is None
    assert info["topics"]["Chuyển đổi số"] == 3


def test_lone_surrogates_in_jsonl_do_not_break_the_build(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text('{"url": "https://x.vn/s", "title": "Ti\\ud800êu đề", "text": "Câu một \\udfff có lỗi. Câu hai."}\n',
                 encoding="utf-8")
    s = build([f, SAMPLE], tmp_path / "idx", None)
    assert s.articles == 7
    art = next(a for a in load(tmp_path / "idx").articles if a.url == "https://x.vn/s")
    assert "\ufffd" in art.title and "\ud800" not in art.text


def test_leftovers_are_cleaned_at_start_unless_a_build_runs(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build([SAMPLE], idx, None)
    junk = idx / "generations" / "20990101T000000-dead00.partial"
    junk.mkdir()
    with store.build_lock(idx):
        assert store.clean_if_idle(idx) == []  # a build holds the lock: leave its work alone
    assert junk.exists()
    assert store.clean_if_idle(idx) == [junk.name]
    assert not junk.exists() and load(idx)


def test_rebuild_reuses_analysed_terms_and_equals_a_fresh_build(tmp_path: Path) -> None:
    arts = tmp_path / "articles"
    shutil.copytree(SAMPLE, arts)
    first = build([arts], tmp_path / "inc", None)
    assert first.terms_reused == 0
    (arts / "moi.txt").write_text("Cầu Rào Tre hoàn thành\n\n(Baohatinh.vn) - Cầu Rào Tre dài 86 mét đã thông xe "
                                  "sáng 1/9. Cây cầu nối hai bờ sông Rào Cái.\n", encoding="utf-8")
    again = build([arts], tmp_path / "inc", None)
    fresh = build([arts], tmp_path / "fresh", None)
    # every unchanged passage and article (two fields each) came from the cache
    assert again.terms_reused == 2 * (first.chunks + first.articles)
    assert fresh.terms_reused == 0
    inc, new = load(tmp_path / "inc"), load(tmp_path / "fresh")
    for field in ("exact", "folded", "article_exact", "article_folded"):
        a, b = getattr(inc, field).parts[0], getattr(new, field).parts[0]
        for arr in ("terms", "indptr", "indices", "data"):
            assert np.array_equal(getattr(a, arr), getattr(b, arr)), (field, arr)
    # a new mined abbreviation changes the analyser: nothing may be reused then
    (arts / "viet-tat.txt").write_text("Quỹ đất\n\n(Baohatinh.vn) - Trung tâm Phát triển quỹ đất (TTPTQĐ) "
                                       "họp bàn.\n", encoding="utf-8")
    assert build([arts], tmp_path / "inc", None).terms_reused == 0


def test_a_damaged_live_generation_is_not_used_as_a_cache(tmp_path: Path, tiny_model: Path,
                                                          embedder: Embedder) -> None:
    build([SAMPLE], tmp_path / "idx", str(tiny_model), embedder=embedder)
    gen = store.current_path(tmp_path / "idx")
    assert gen is not None
    emb = gen / "embeddings.npy"
    data = bytearray(emb.read_bytes())
    data[-7] ^= 0x40  # one float of the last passage vector
    emb.write_bytes(bytes(data))
    again = build([SAMPLE], tmp_path / "idx", str(tiny_model), embedder=embedder)
    # neither its vectors nor its analysed terms were copied into the new generation
    assert again.reused == 0 and again.sentences_reused == 0 and again.terms_reused == 0
    load(tmp_path / "idx")
