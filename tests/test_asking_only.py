"""An answer must stand on a word the question is about (index/keyterms.py
`stands_on_nothing`): dense retrieval finds *something* for any question, and a sentence that
shares only the asking ("hôm nay … bao nhiêu") with it is no answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.build import build
from index.engine import Engine
from index.generation import load
from index.tuning import Calibration
from index.vectors import Embedder
from tests.conftest import DATA, SAMPLE

# every answer confident by the features: what refuses below is the rule alone
ALWAYS = Calibration(bias=0.0, passage_bigrams=0.0, article_bigrams=0.0, cosine=0.0, threshold=0.0)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Engine:
    idx = tmp_path_factory.mktemp("asking") / "idx"
    emb = Embedder(str(tiny_model))
    build([SAMPLE, DATA / "asking"], idx, str(tiny_model), embedder=emb)
    return Engine(load(idx), emb, calibration=ALWAYS)


def test_a_quote_sharing_only_asking_words_is_refused(engine: Engine) -> None:
    ans = engine.answer("Giá vàng là bao nhiêu?")  # "giá", "vàng": in no fixture article
    assert ans.hits, "dense retrieval always finds a nearest passage"
    assert ans.debug["unrelated"] is True and not ans.answered
    assert ans.debug["missing"] == {}  # not the near-miss rule: the archive is under its size floor


def test_a_quote_holding_a_word_the_question_is_about_stands(engine: Engine) -> None:
    ans = engine.answer("Bé Minh Anh hỏi mẹ điều gì mỗi sáng?")
    assert ans.answered and ans.debug["unrelated"] is False
    assert "còn bao nhiêu ngày" in ans.hits[0].quote
