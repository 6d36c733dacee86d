"""Near misses are refused: a word the index never saw, absent from the answer's title and
context, or a year its article never names, makes the answer unconfident (index/keyterms.py)."""

from __future__ import annotations

import dataclasses

import pytest

from index.build import build
from index.engine import Engine
from index.generation import load
from index.keyterms import _distance, near, stands_on_nothing
from index.text import fold
from index.tuning import DEFAULT
from tests.conftest import ARTICLES, DATA, SAMPLE

KEYTERMS = DATA / "keyterms"

SAVING = "Mỗi năm bệnh viện tiết kiệm bao nhiêu tiền in ấn hồ sơ?"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    idx = tmp_path_factory.mktemp("idx")
    build([SAMPLE, ARTICLES, KEYTERMS], idx, None)
    # a fixture archive is far smaller than any paper's: the size floor is lowered to test the rule
    return Engine(load(idx), tuning=dataclasses.replace(DEFAULT, key_term_min_articles=0))


def test_the_answerable_question_is_answered(engine: Engine) -> None:
    ans = engine.answer(SAVING)
    assert ans.answered and "3,5 tỷ" in ans.hits[0].quote and ans.debug["missing"] == {}
    assert ans.debug["unrelated"] is False


def test_an_unseen_name_is_refused_though_the_same_quote_comes_back(engine: Engine) -> None:
    ans = engine.answer(SAVING.replace("bệnh viện", "bệnh viện Mường Tè"))
    assert "3,5 tỷ" in ans.hits[0].quote  # retrieval still finds the nearest article…
    assert not ans.answered  # …but it is not about Mường Tè
    assert "muong" in {fold(t) for t in ans.debug["missing"]}  # type: ignore[attr-defined]


def test_a_misspelt_long_word_of_the_article_is_forgiven(engine: Engine) -> None:
    ans = engine.answer("Chỉ số cholestreol toàn phần nên dưới bao nhiêu?")
    assert ans.answered and ans.debug["missing"] == {} and "200 mg/dL" in ans.hits[0].quote
    ans = engine.answer("Chỉ số triglyceride toàn phần nên dưới bao nhiêu?")  # a word it never had
    assert not ans.answered and list(ans.debug["missing"]) == ["triglyceride"]


def test_a_year_the_article_never_names_is_refused(engine: Engine) -> None:
    ans = engine.answer("Theo số liệu 2019, chỉ số cholesterol toàn phần nên dưới bao nhiêu?")
    assert not ans.answered and list(ans.debug["missing"]) == ["2019"]
    ans = engine.answer("Theo số liệu 2025, chỉ số cholesterol toàn phần nên dưới bao nhiêu?")  # its year
    assert ans.answered and ans.debug["missing"] == {}


def test_edit_distance_counts_swaps_and_stops_early() -> None:
    assert _distance("cholestreol", "cholesterol", 2) == 1  # one swap
    assert _distance("salmonnella", "salmonella", 2) == 1
    assert _distance("nipah", "nhanh", 1) == 2  # beyond the bound: bound + 1
    assert near("chococlate", {"chocolate"}) and not near("muong", {"duong"})  # short words: no typo forgiven


def test_a_small_archive_does_not_refuse_words_it_never_printed(tmp_path_factory: pytest.TempPathFactory) -> None:
    idx = tmp_path_factory.mktemp("small")
    build([SAMPLE, ARTICLES, KEYTERMS], idx, None)
    ans = Engine(load(idx)).answer("Chỉ số triglyceride toàn phần nên dưới bao nhiêu?")  # default floor: 200
    assert ans.debug["missing"] == {}


def test_a_year_inside_the_period_filter_is_not_asked_again(engine: Engine) -> None:
    ans = engine.answer("Tháng 9/2025 chỉ số cholesterol toàn phần nên dưới bao nhiêu?")
    assert ans.period is not None and "2025" not in ans.debug["missing"]


def test_an_answer_that_matches_only_the_asking_words_stands_on_nothing(engine: Engine) -> None:
    """"Giá vàng hôm nay là bao nhiêu?" must not be answered by a sentence that shares only
    "hôm nay … bao nhiêu" with it: the words it is about are "giá" and "vàng"."""
    q = engine._parse("Giá vàng hôm nay là bao nhiêu?", None)
    about = {t for t in q.content if fold(t) not in {"la", "bao", "nhieu"}}
    assert {"giá", "vàng"} & about or {"gia", "vang"} & about
    asked_only = engine._terms(q, "Hôm nay là ngày nào? Còn bao nhiêu ngày nữa?")
    assert stands_on_nothing(q, asked_only)
    assert not stands_on_nothing(q, engine._terms(q, "Giá vàng miếng hôm nay tăng 200.000 đồng mỗi lượng."))
    assert not stands_on_nothing(q, engine._terms(q, "Giá xăng tăng."))  # one word it is about is enough
    only_asking = engine._parse("Bao nhiêu?", None)
    assert not stands_on_nothing(only_asking, frozenset())  # nothing it is about: nothing to stand on

