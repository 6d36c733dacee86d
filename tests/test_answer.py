from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from index.answer import Engine
from index.build import build
from index.generation import Generation, load
from index.query import is_question, parse
from index.quote import highlights
from index.vectors import Embedder
from tests.backend_params import BACKENDS, engine_for, publish
from tests.backend_params import env as backend_env
from tests.conftest import ARTICLES, SAMPLE

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def lexical_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    idx = tmp_path_factory.mktemp("idx")
    build([SAMPLE, ARTICLES], idx, None)
    return idx


@pytest.fixture(scope="module")
def gen(lexical_index: Path) -> Generation:
    return load(lexical_index)


@pytest.fixture(scope="module", params=BACKENDS)
def engine(gen: Generation, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(gen, request.param, tmp_path_factory.mktemp("qdrant"))


def _sentence_bounds(gen: Generation, article_id: str) -> tuple[set[int], set[int]]:
    a = next(i for i, x in enumerate(gen.articles) if x.id == article_id)
    lo, hi = gen.article_sentence_ptr[a], gen.article_sentence_ptr[a + 1]
    spans = gen.sentence_span[lo:hi]
    return {int(s) for s, _ in spans}, {int(e) for _, e in spans}


def test_quote_is_whole_sentences_holding_the_answer(engine: Engine, gen: Generation) -> None:
    ans = engine.answer("Tỷ lệ hồ sơ giải quyết đúng hạn đạt bao nhiêu?")
    assert ans.answered
    top = ans.hits[0]
    assert top.url == "https://example.org/test/so-hoa-ho-so"
    assert "98,5%" in top.quote and len(top.quote) <= 400
    starts, ends = _sentence_bounds(gen, top.article_id)
    assert top.quote_span[0] in starts and top.quote_span[1] in ends
    art = next(a for a in gen.articles if a.id == top.article_id)
    assert art.text[top.quote_span[0]:top.quote_span[1]] == top.quote
    assert top.quote in top.context or top.context in art.text
    # highlighted words are question words
    marked = " | ".join(top.quote[s:e].lower() for s, e in top.highlights)
    assert "đúng hạn" in marked and "giải quyết" in marked


def test_unaccented_and_nfd_questions_find_the_same_answer(engine: Engine) -> None:
    question = "Tổ công nghệ số cộng đồng của xã Thạch Mỹ gồm bao nhiêu thành viên?"
    accented = engine.answer(question)
    plain = engine.answer("to cong nghe so cong dong cua xa thach my gom bao nhieu thanh vien")
    nfd = engine.answer(unicodedata.normalize("NFD", question))
    for a in (accented, plain, nfd):
        assert a.answered and a.hits[0].url == "https://example.org/hoibao/mau/chuyen-doi-so-cap-xa"
        assert "42 thành viên" in a.hits[0].quote
    assert nfd.hits[0].quote == accented.hits[0].quote


def test_routing_and_restoration(gen: Generation) -> None:
    q = parse("chuyen doi so o xa Thach My", gen.analyzer, gen.lexicon, dense=True)
    assert not q.accented and "chuyen doi" in q.terms
    assert q.restored == "chuyển đổi số ở xã thạch mỹ"
    assert q.dense_text == q.restored  # sure enough to show the encoder
    q2 = parse("Chuyển đổi số", gen.analyzer, gen.lexicon, dense=True)
    assert q2.accented and "chuyển đổi" in q2.terms and q2.dense_text == "Chuyển đổi số"
    # an unsure restoration keeps the dense side out
    q3 = parse("qwx zzv kkk", gen.analyzer, gen.lexicon, dense=True)
    assert q3.dense_text is None or q3.restore_confidence is not None


def test_abbreviation_in_question_matches_long_form(engine: Engine) -> None:
    ans = engine.answer("Chỉ số CCHC của Sở xếp thứ mấy?")
    assert ans.hits[0].url == "https://example.org/test/so-hoa-ho-so" and "3/21" in ans.hits[0].quote
    ans2 = engine.answer("kết quả cải cách hành chính của Sở tài nguyên xếp thứ mấy")
    assert ans2.hits[0].url == "https://example.org/test/so-hoa-ho-so"


def test_one_hit_per_article_and_paging(engine: Engine) -> None:
    ans = engine.answer("Hà Tĩnh chuyển đổi số", k=5)
    ids = [h.article_id for h in ans.hits]
    assert len(ids) == len(set(ids)) >= 3
    page2 = engine.answer("Hà Tĩnh chuyển đổi số", k=2, offset=2)
    assert [h.article_id for h in page2.hits] == ids[2:4]


@pytest.mark.parametrize("text", ["", " ", "a", "?", "xin chào", "Chào bạn!", "hello", "cảm ơn"])
def test_greetings_and_empty_input_are_not_questions(engine: Engine, text: str) -> None:
    assert not is_question(text)
    ans = engine.answer(text)
    assert not ans.answered and not ans.hits and not ans.is_question


@pytest.mark.parametrize("question", ["Đội tuyển Việt Nam vô địch AFF Cup năm nào?",
                                      "Thủ đô của nước Úc là thành phố nào?",
                                      "gia iphone moi nhat bao nhieu"])
def test_off_topic_questions_are_refused(engine: Engine, question: str) -> None:
    ans = engine.answer(question)
    assert not ans.answered and ans.confidence < 0.5


@pytest.mark.parametrize("backend", BACKENDS)
def test_long_sentence_is_cut_at_clauses(tmp_path: Path, backend: str) -> None:
    long = "Người dân xã Kỳ Anh phản ánh rằng " + ", ".join(f"đoạn đường số {i} bị sạt lở nặng" for i in range(40))
    (tmp_path / "a.txt").write_text(f"Sạt lở đường ở Kỳ Anh\n\n{long}, cần sửa gấp.\n", encoding="utf-8")
    build([tmp_path / "a.txt", SAMPLE], tmp_path / "idx", None)
    ans = engine_for(load(tmp_path / "idx"), backend, tmp_path / "qdrant").answer("đoạn đường số 37 bị sạt lở")
    quote = ans.hits[0].quote
    assert len(quote) <= 400 and "số 37" in quote
    assert not quote.endswith(",")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_real_vector_path_with_tiny_model(tmp_path: Path, tiny_model: Path, backend: str) -> None:
    emb = Embedder(str(tiny_model))
    build([SAMPLE], tmp_path / "idx", str(tiny_model), embedder=emb)
    g = load(tmp_path / "idx", model=str(tiny_model))
    assert g.sentence_embeddings is not None and len(g.sentence_embeddings) == len(g.sentence_span)
    eng = engine_for(g, backend, tmp_path / "qdrant", emb)
    assert eng.dense and eng.retriever.backend.name == backend
    ans = eng.answer("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
    assert ans.hits and "3,5 tỷ đồng" in " ".join(h.quote for h in ans.hits)
    # the query vector is the model's and is cached
    v = eng.retriever.query_vector("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
    assert v.shape == (emb.dim,) and eng.retriever.query_vector("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?") is v


def _cli(*args: str, extra: dict[str, str] | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}
    out = subprocess.run([sys.executable, "-m", "index", *args], env=env, capture_output=True, timeout=120,
                         check=True)
    return out.stdout.decode()


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_json_shape(lexical_index: Path, backend: str, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    shutil.copytree(lexical_index, idx)
    publish(idx, backend)  # what `index build` does with INDEX_BACKEND=qdrant
    cli_env = backend_env(idx, backend)
    out = json.loads(_cli("search", "--index-dir", str(idx), "--k", "2", "--json",
                          "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", extra=cli_env))
    assert set(out) == {"answered", "confidence", "hits"}
    assert isinstance(out["answered"], bool) and 0.0 <= out["confidence"] <= 1.0
    assert len(out["hits"]) == 2
    for h in out["hits"]:
        assert set(h) == {"title", "url", "published", "topics", "quote", "context", "score"}
    assert "3,5 tỷ đồng" in out["hits"][0]["quote"]
    none = json.loads(_cli("search", "--index-dir", str(idx), "--json", "xin chào", extra=cli_env))
    assert none == {"answered": False, "confidence": 0.0, "hits": []}


BOLD_QUOTE = "Chỉ số CCHC của Sở xếp thứ 3/21. Hà Tĩnh đẩy mạnh chuyển đổi số và đổi mới quản trị, thế là xong."


@pytest.mark.parametrize("question", ["Hà Tĩnh chuyển đổi số thế nào?", "ha tinh chuyen doi so the nao"])
def test_bold_marks_the_questions_phrases_not_stray_syllables(gen: Generation, question: str) -> None:
    # every term weighs the same: "số" and "đổi" are content words, yet "Chỉ số" and
    # "đổi mới" hold them only as stray syllables; "thế nào" only asks
    q = parse(question, gen.analyzer, gen.lexicon, dense=False, weigh=lambda term, folded: 2.0)
    bold = [BOLD_QUOTE[s:e] for s, e in highlights(BOLD_QUOTE, q)]
    assert bold == ["Hà Tĩnh", "chuyển đổi số"]
    # with the index's own idf ("Hà Tĩnh" is in nearly every article: no weight, no bold)
    q = parse(question, gen.analyzer, gen.lexicon, dense=False, weigh=lambda t, f: gen.passage_field(not f).idf(t))
    assert [BOLD_QUOTE[s:e] for s, e in highlights(BOLD_QUOTE, q)] == ["chuyển đổi số"]


def test_a_rare_word_is_bold_on_its_own(gen: Generation) -> None:
    q = parse("Sản phẩm OCOP của Hương Sơn", gen.analyzer, gen.lexicon, dense=False,
              weigh=lambda term, folded: 6.0 if term == "ocop" else 1.5)
    quote = "Tỉnh có 120 sản phẩm đạt chuẩn OCOP."
    assert [quote[s:e] for s, e in highlights(quote, q)] == ["sản phẩm", "OCOP"]
