"""The Qdrant backend (real engine, in-process) answers exactly as the embedded index:
same BM25 tops and scores, idf, dense tops and cosines; builds switch atomically and a
damaged collection is refused by name. No mocks of Qdrant, no network."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.answer import Answer, Engine
from index.backends import Backend
from index.backends.embedded import EmbeddedBackend
from index.backends.qdrant import ARTICLE_BASE, COLLECTIONS, STATS, QdrantBackend, edge_collection, open_edge
from index.backends.qdrant_build import build_edge, build_server, sync
from index.backends.qdrant_stats import Stats
from index.build import build
from index.generation import Generation, load
from index.update import update
from tests.backend_params import publish, serving
from tests.backend_params import settings as backend_settings
from tests.conftest import ARTICLES, SAMPLE

QUESTIONS = [
    "Nông dân Cẩm Xuyên thu hoạch bao nhiêu phần trăm diện tích lúa hè thu?",
    "nong dan cam xuyen thu hoach lua he thu",
    "Bệnh viện Đa khoa tỉnh Hà Tĩnh dùng bệnh án điện tử từ ngày nào?",
    "benh an dien tu benh vien ha tinh",
    "thanh toán không dùng tiền mặt",
    "thanh toan khong tien mat o cho",
    "tuyển sinh lớp 10 THPT năm nay",
    "lễ hội ca trù",
    "chuyển đổi số cấp xã",
    "chuyen doi so cap xa",
    "của và là",  # common syllables: Okapi's idf floor
    "từ không có trong báo xyzzy",
]


def _terms(gen: Generation, q: str) -> Iterator[tuple[str, str, list[str]]]:
    for folded in (False, True):
        yield ("folded" if folded else "exact"), ("article_folded" if folded else "article_exact"), \
            gen.analyzer.terms(q, folded=folded)


def _same_top(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], k: int) -> None:
    """Same scores rank by rank; same ids wherever the score is not tied with a neighbour
    or with the cut at k."""
    assert np.allclose(a[1], b[1], rtol=1e-5, atol=1e-5)
    assert len(a[0]) == len(b[0])
    for i in range(len(a[0])):
        tied = np.isclose(a[1], a[1][i], rtol=1e-5, atol=1e-5).sum() > 1 or \
            (len(a[0]) == k and np.isclose(a[1][i], a[1][-1], rtol=1e-5, atol=1e-5))
        if not tied:
            assert a[0][i] == b[0][i]
    assert set(a[0][~np.isclose(a[1], a[1][-1])]) <= set(b[0]) if len(a[0]) else True


@pytest.fixture(scope="module")
def bm25_gen(tmp_path_factory: pytest.TempPathFactory) -> Generation:
    idx = tmp_path_factory.mktemp("bm25") / "idx"
    build([ARTICLES, SAMPLE], idx, None)
    return load(idx)


@pytest.fixture(scope="module")
def vec_gen(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Generation:
    from index.vectors import Embedder

    idx = tmp_path_factory.mktemp("vec") / "idx"
    build([ARTICLES, SAMPLE], idx, str(tiny_model), embedder=Embedder(str(tiny_model)))
    return load(idx, model=str(tiny_model))


@pytest.fixture(scope="module")
def query_vectors(vec_gen: Generation, tiny_model: Path) -> list[np.ndarray]:
    from index.vectors import Embedder

    emb = Embedder(str(tiny_model))
    return [emb.query(q) for q in QUESTIONS]


def _parity(emb: Backend, qd: Backend, gen: Generation) -> None:
    rng = np.random.default_rng(7)
    for q in QUESTIONS:
        for field, afield, terms in _terms(gen, q):
            for k in (1, 5, 100):
                _same_top(emb.bm25_top(field, terms, k), qd.bm25_top(field, terms, k), k)
            ids = np.unique(np.concatenate([emb.bm25_top(field, terms, 50)[0], rng.integers(0, gen.n_chunks, 30)]))
            assert np.allclose(emb.bm25_scores(field, terms, ids), qd.bm25_scores(field, terms, ids), rtol=1e-5,
                               atol=1e-5)
            arts = np.unique(rng.integers(0, len(gen.articles), 10))
            assert np.allclose(emb.bm25_scores(afield, terms, arts), qd.bm25_scores(afield, terms, arts),
                               rtol=1e-5, atol=1e-5)
            for t in [*terms, "khôngcótừnày"]:
                assert emb.idf(field, t) == pytest.approx(qd.idf(field, t))
                assert emb.idf(afield, t) == pytest.approx(qd.idf(afield, t))


def test_bm25_parity_on_the_real_engine(bm25_gen: Generation, tmp_path: Path) -> None:
    build_edge(bm25_gen, tmp_path / "q")
    qd = open_edge(tmp_path / "q")
    emb = EmbeddedBackend(bm25_gen)
    assert isinstance(qd, Backend)
    assert isinstance(emb, Backend)
    assert (qd.name, emb.name, qd.n_chunks) == ("qdrant", "embedded", emb.n_chunks)
    some = [q for q in QUESTIONS if emb.bm25_top("exact", bm25_gen.analyzer.terms(q), 5)[0].size]
    assert len(some) >= 8  # the questions do hit the fixtures
    _parity(emb, qd, bm25_gen)
    qd.score_by = "vectors"  # the other way of scoring a candidate set gives the same numbers
    _parity(emb, qd, bm25_gen)
    with pytest.raises(ValueError, match="built without vectors"):
        qd.dense_top(np.ones(8, dtype=np.float32), 3)
    qd.close()


@pytest.mark.slow
def test_dense_parity_on_the_real_engine(vec_gen: Generation, query_vectors: list[np.ndarray], tmp_path: Path) -> None:
    build_edge(vec_gen, tmp_path / "q")
    qd, emb = open_edge(tmp_path / "q"), EmbeddedBackend(vec_gen)
    for qvec in query_vectors:
        for k in (1, 10, 40):
            a, b = emb.dense_top(qvec, k), qd.dense_top(qvec, k)
            sa, sb = emb.dense_scores(qvec, a), qd.dense_scores(qvec, b)
            _same_top((a, sa), (b, sb), k)
        ids = np.arange(vec_gen.n_chunks)
        assert np.allclose(emb.dense_scores(qvec, ids), qd.dense_scores(qvec, ids), atol=1e-5)
        qd.score_by = "vectors"
        assert np.allclose(emb.dense_scores(qvec, ids), qd.dense_scores(qvec, ids), atol=1e-5)
        qd.score_by = "filter"
    _parity(emb, qd, vec_gen)
    qd.close()


def test_payload_filters_by_date_and_topic(bm25_gen: Generation, tmp_path: Path) -> None:
    import qdrant_edge as qe

    build_edge(bm25_gen, tmp_path / "q")
    qd = open_edge(tmp_path / "q")
    shard = qd.engine.shard  # type: ignore[attr-defined]
    info = shard.info().payload_schema
    assert {"published", "topics", "article"} <= set(info)
    topic = "Nông nghiệp"
    want = {i for i, a in enumerate(bm25_gen.articles) if topic in a.topics}
    got = shard.count(qe.CountRequest(filter=qe.Filter(must=[
        qe.FieldCondition("topics", match=qe.MatchValue(topic)),
        qe.FieldCondition("chunk", is_empty=True)]), exact=True))
    assert got == len(want) > 0
    dated = shard.count(qe.CountRequest(filter=qe.Filter(must=[
        qe.FieldCondition("published", range=qe.RangeDateTime(gte="2025-06-01T00:00:00Z", lt="2025-07-01T00:00:00Z")),
        qe.FieldCondition("chunk", is_empty=True)]), exact=True))
    assert dated == sum(1 for a in bm25_gen.articles if (a.published or "").startswith("2025-06"))
    qd.close()


def test_incremental_sync_matches_the_delta_generation(tmp_path: Path) -> None:
    arts = tmp_path / "arts"
    shutil.copytree(SAMPLE, arts)
    build([arts], tmp_path / "idx", None)
    build_edge(load(tmp_path / "idx"), tmp_path / "q")
    qd = open_edge(tmp_path / "q")
    extra = (SAMPLE / "03-lua-he-thu.txt").read_text(encoding="utf-8")
    (arts / "07-moi.txt").write_text(extra.replace("lúa hè thu", "lúa đông xuân").replace("/lua-he-thu", "/moi"),
                                     encoding="utf-8")
    (arts / "04-tuyen-sinh-thpt.txt").unlink()  # taken down: its passages must go
    update([arts], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    assert gen.delta is not None and gen.dead_articles is not None and gen.dead_articles.any()
    up, gone = sync(qd, gen)
    assert up > 0 and gone > 0
    _parity(EmbeddedBackend(gen), qd, gen)
    terms = gen.analyzer.terms("lúa đông xuân")
    assert set(qd.bm25_top("exact", terms, 10)[0]) & set(range(gen.base.n_chunks, gen.n_chunks))  # type: ignore[union-attr]
    qd.close()
    again = open_edge(tmp_path / "q")  # the update is durable and consistent
    _parity(EmbeddedBackend(gen), again, gen)
    again.close()


def test_failed_build_leaves_the_previous_collection_serving(bm25_gen: Generation, tmp_path: Path) -> None:
    first = build_edge(bm25_gen, tmp_path / "q")

    def boom(n: int) -> None:
        if n == 1:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        build_edge(bm25_gen, tmp_path / "q", on_batch=boom, batch=16)
    assert edge_collection(tmp_path / "q") == first
    assert not list((tmp_path / "q" / COLLECTIONS).glob("*.partial"))
    qd = open_edge(tmp_path / "q")
    assert qd.bm25_top("exact", bm25_gen.analyzer.terms(QUESTIONS[0]), 3)[0].size
    qd.close()


KILLER = """
import os, signal, sys
from pathlib import Path
from index.generation import load
from index.backends.qdrant_build import build_edge
def kill(n):
    if n == 1:
        os.kill(os.getpid(), signal.SIGKILL)
build_edge(load(Path(sys.argv[1])), Path(sys.argv[2]), on_batch=kill, batch=16)
"""


@pytest.mark.slow
def test_killed_build_leaves_the_previous_collection_serving(tmp_path: Path) -> None:
    build([ARTICLES, SAMPLE], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    first = build_edge(gen, tmp_path / "q")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    proc = subprocess.run([sys.executable, "-c", KILLER, str(tmp_path / "idx"), str(tmp_path / "q")], env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert list((tmp_path / "q" / COLLECTIONS).glob("*.partial"))  # killed half-way, left behind
    assert edge_collection(tmp_path / "q") == first
    qd = open_edge(tmp_path / "q")
    emb = EmbeddedBackend(gen)
    terms = gen.analyzer.terms(QUESTIONS[0])
    _same_top(emb.bm25_top("exact", terms, 10), qd.bm25_top("exact", terms, 10), 10)
    qd.close()
    second = build_edge(gen, tmp_path / "q")  # the next build clears the leftover
    assert edge_collection(tmp_path / "q") == second
    assert not list((tmp_path / "q" / COLLECTIONS).glob("*.partial"))


def test_missing_or_damaged_collection_is_named(bm25_gen: Generation, tmp_path: Path) -> None:
    root = tmp_path / "q"
    with pytest.raises(store.IndexUnavailable, match="no Qdrant collection yet"):
        open_edge(root)
    path = build_edge(bm25_gen, root)
    raw = (path / STATS).read_bytes()
    (path / STATS).write_bytes(raw[: len(raw) // 2])
    with pytest.raises(store.IndexUnavailable, match=r"stats\.npz: unreadable"):
        open_edge(root)
    (path / STATS).unlink()
    with pytest.raises(store.IndexUnavailable, match=r"stats\.npz: missing"):
        open_edge(root)
    path = build_edge(bm25_gen, root)
    shutil.rmtree(path / "shard")
    with pytest.raises(store.IndexUnavailable, match="shard"):
        open_edge(root)
    (root / "CURRENT").write_text("gone\n", encoding="utf-8")
    with pytest.raises(store.IndexUnavailable, match="does not exist"):
        open_edge(root)


def test_stats_round_trip_and_vocabulary(bm25_gen: Generation, tmp_path: Path) -> None:
    s = Stats.of(bm25_gen)
    assert len(np.unique(s.ids)) == len(s.vocab) and s.ids.max() < 2**32
    s.save(tmp_path / "s.npz")
    t = Stats.load(tmp_path / "s.npz")
    assert json.dumps(t.meta, sort_keys=True) == json.dumps(s.meta, sort_keys=True)
    assert all(np.array_equal(s.df[f], t.df[f]) for f in s.df)
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.filterwarnings("ignore:Payload indexes have no effect")
def test_server_driver_calls_on_local_mode(bm25_gen: Generation, tmp_path: Path) -> None:
    """qdrant-client's local mode only exercises the driver's calls (build, alias switch,
    queries); it is not the engine, and nothing is measured on it."""
    from qdrant_client import QdrantClient

    from index.backends.qdrant import open_server

    client = QdrantClient(":memory:")
    first = build_server(bm25_gen, client, tmp_path / "stats")
    second = build_server(bm25_gen, client, tmp_path / "stats")
    assert first != second
    qd: QdrantBackend = open_server(client, tmp_path / "stats")
    assert qd.collection == second
    terms = bm25_gen.analyzer.terms(QUESTIONS[0])
    ids, scores = qd.bm25_top("exact", terms, 5)
    assert len(ids) and np.all(scores > 0)
    assert qd.bm25_scores("article_exact", terms, np.array([0, 1])).shape == (2,)
    assert client.count(second, exact=True).count == qd.stats.meta["points"]
    assert qd.n_chunks < ARTICLE_BASE


DATED = Path(__file__).parent / "data" / "dated"


def _answers(engine: Engine, questions: list[str]) -> list[Answer]:
    return [engine.answer(q, k=3, today=date(2026, 11, 30)) for q in questions]


def _same_answers(a: list[Answer], b: list[Answer]) -> None:
    """Same answers; hits may swap only where their scores tie within float32 rounding of
    the cosine (Qdrant sums in another order; min-max over a narrow pool magnifies it)."""
    for x, y in zip(a, b, strict=True):
        assert (x.answered, x.period) == (y.answered, y.period), x.question
        assert x.confidence == pytest.approx(y.confidence, abs=1e-3), x.question
        sx, sy = np.array([h.score for h in x.hits]), np.array([h.score for h in y.hits])
        assert np.allclose(sx, sy, atol=1e-3), x.question
        for i, h in enumerate(x.hits):
            if (np.abs(sx - sx[i]) < 1e-3).sum() == 1:
                assert (h.url, h.quote) == (y.hits[i].url, y.hits[i].quote), x.question


@pytest.mark.parametrize("vectors", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_period_filters_answer_the_same_on_both_backends(tmp_path: Path, tiny_model: Path, vectors: bool) -> None:
    """Periods are a payload range on "day" in Qdrant and a passage mask in the embedded
    index: the dated set's answers (filters, empty periods, recency) are the same."""
    from index.vectors import Embedder

    model = str(tiny_model) if vectors else None
    emb = Embedder(str(tiny_model)) if vectors else None
    build(sorted(DATED.glob("*.txt")), tmp_path / "idx", model, embedder=emb)
    gen = load(tmp_path / "idx", model=model)
    questions = [json.loads(line)["question"] for line in (DATED / "qa.jsonl").read_text(encoding="utf-8").splitlines()]
    questions += ["giải ngân vốn đầu tư công mới nhất", "sốt xuất huyết tháng này", "cầu năm 2024"]
    base = _answers(Engine(gen, emb, backend=EmbeddedBackend(gen)), questions)
    qd = serving(gen, "qdrant", tmp_path / "q")
    _same_answers(base, _answers(Engine(gen, emb, backend=qd), questions))
    assert sum(1 for a in base if a.period) >= 10 and sum(1 for a in base if a.hits) >= 40  # periods, and hits
    assert {"day"} <= set(qd.engine.shard.info().payload_schema)  # type: ignore[attr-defined]


def test_the_bot_serves_qdrant_and_keeps_the_last_good_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """INDEX_BACKEND=qdrant in the bot: a rebuild pushes a new collection, an update syncs
    the live one through the shard the bot has open, and a damaged or missing collection
    is reported while the collection already in memory keeps answering."""
    from bot.service import IndexService

    arts = tmp_path / "arts"
    shutil.copytree(SAMPLE, arts)
    idx = tmp_path / "idx"
    build([arts], idx, None)
    svc = IndexService(backend_settings(idx, "qdrant", arts))
    svc.load()
    assert svc.error is not None and "no Qdrant collection" in svc.error and svc.engine is None
    publish(idx, "qdrant")
    svc.load()
    assert svc.engine is not None and svc.engine.retriever.backend.name == "qdrant"
    question = "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?"
    good = svc.answer(question)
    assert good is not None and "3,5 tỷ đồng" in good.hits[0].quote
    # an update: the delta is synced into the shard this process serves from
    extra = (SAMPLE / "03-lua-he-thu.txt").read_text(encoding="utf-8")
    (arts / "07-moi.txt").write_text(extra.replace("lúa hè thu", "lúa đông xuân").replace("/lua-he-thu", "/moi"),
                                     encoding="utf-8")
    update([arts], idx, None)
    assert not svc.refresh()  # a replica follows pushes, not generations the collection does not serve yet
    svc._push()
    assert svc.refresh() and not svc.refresh()  # what a cluster's bots do every FOLLOW_SECONDS
    assert svc.engine.gen.delta is not None and svc.error is None
    new = svc.answer("lúa đông xuân")
    assert new is not None and new.hits and new.hits[0].url is not None and new.hits[0].url.endswith("/moi")
    # damage: the statistics of the live collection, then the collection itself
    live = edge_collection(tmp_path / "qdrant")
    (live / STATS).write_bytes(b"not a zip")
    svc.load()
    assert svc.error is not None and "stats.npz: unreadable" in svc.error
    (tmp_path / "qdrant" / "CURRENT").write_text("gone\n", encoding="utf-8")
    svc.load()
    assert svc.error is not None and "does not exist" in svc.error
    still = svc.answer(question)
    assert still is not None and [h.quote for h in still.hits] == [h.quote for h in good.hits]


@pytest.mark.parametrize("block_postings", [1, 37, 10**9])
def test_rows_turned_in_blocks_equal_the_whole_transpose(tmp_path: Path, block_postings: int) -> None:
    """The push reads each document's terms a block at a time (bounded memory at 1M
    passages): whatever the block size, and across the base and a delta segment, every
    row is the field's column-wise postings turned — same term ids, same tf parts."""
    import scipy.sparse as sp

    from index.backends.qdrant_rows import RowBlocks

    arts = tmp_path / "arts"
    shutil.copytree(SAMPLE, arts)
    build([arts], tmp_path / "idx", None)
    extra = (SAMPLE / "03-lua-he-thu.txt").read_text(encoding="utf-8")
    (arts / "07-moi.txt").write_text(extra.replace("lúa hè thu", "lúa đông xuân").replace("/lua-he-thu", "/moi"),
                                     encoding="utf-8")
    update([arts], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    stats = Stats.of(gen)
    for name in ("exact", "folded", "article_exact"):
        field = getattr(gen, name)
        assert len(field.parts) == 2
        blocks = RowBlocks(field, stats, block_postings=block_postings)
        doc = 0
        for part in field.parts:
            csr = sp.csc_matrix((np.asarray(part.data), np.asarray(part.indices), np.asarray(part.indptr)),
                                shape=(part.n_docs, len(part.terms))).tocsr()
            ids = stats.lookup(np.asarray(part.terms))
            for r in range(part.n_docs):
                lo, hi = csr.indptr[r], csr.indptr[r + 1]
                want = sorted(zip(ids[csr.indices[lo:hi]].tolist(), csr.data[lo:hi].tolist(), strict=True))
                cols, vals = blocks.row(doc)
                assert sorted(zip(cols, vals, strict=True)) == want and len(cols) == hi - lo > 0
                doc += 1
        assert doc == field.n_docs
