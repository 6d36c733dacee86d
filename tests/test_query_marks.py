"""Questions typed with some marks missing or wrong are read without marks, not refused."""

from __future__ import annotations

import pytest

from index.accents import Lexicon
from index.answer import Engine
from index.build import build
from index.generation import Generation, load
from index.query import marks_mixed, parse
from index.text import Analyzer
from tests.conftest import DATA, SAMPLE

MARKS = DATA / "marks"
K_URL = "https://example.org/hoibao/thu/benh-vien-k-giuong-benh"
DENGUE_URL = "https://example.org/hoibao/thu/sot-xuat-huyet-quang-tri"


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Generation:
    idx = tmp_path_factory.mktemp("idx")
    build([SAMPLE, MARKS], idx, None)
    return load(idx)


@pytest.fixture(scope="module")
def engine(gen: Generation) -> Engine:
    return Engine(gen)


# The corpus a lexicon is built from in the unit tests: which spellings it knows is the point.
CORPUS = """Bệnh viện K có 2.400 giường bệnh. Bao nhiêu người bệnh được điều trị, bao nhiêu người khỏi.
Giá thuốc điều trị ung thư giảm. Sốt xuất huyết tăng ở Quảng Trị, ngành y tế điều trị cho người bệnh.
Tủ sách tri thức cho thiếu nhi. Khi trời đã mát, các em đến đọc sách. Bảo hiểm y tế trả tiền điều trị."""


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.from_runs(Analyzer().syllables(CORPUS))


def _mixed(text: str, lexicon: Lexicon) -> bool:
    return marks_mixed(Analyzer().syllables(text), lexicon)


@pytest.mark.parametrize("question", [
    "Bênh viện K có bao nhiêu giường bệnh?",  # a tone left off, the vowel kept: "bênh" is no word here
    "Bệnh viện K có bao nhieu giường bệnh?",  # one word typed bare that the corpus always marks
    "sốt xuât huyêt ở quang tri",
    "so ca sốt xuất huyết o Quang Tri",  # mostly bare, one phrase marked
])
def test_inconsistent_marks_are_noticed(question: str, lexicon: Lexicon) -> None:
    assert _mixed(question, lexicon)


@pytest.mark.parametrize("question", [
    "Bệnh viện K có bao nhiêu giường bệnh?",
    "Tủ sách tri thức có bao nhiêu đầu sách?",  # "tri" bare is right: "tri thức" is a pair the corpus knows
    "Khi trời đã mát các em làm gì?",
    "Giá vàng ở Úc hôm nay?",  # words the corpus lacks ("vàng", "Úc") say nothing about the marks
])
def test_consistent_marks_are_trusted(question: str, lexicon: Lexicon) -> None:
    assert not _mixed(question, lexicon)


def test_a_mixed_question_is_routed_folded_with_its_right_marks_kept(gen: Generation) -> None:
    q = parse("Bênh viện K có bao nhieu giường bệnh?", gen.analyzer, gen.lexicon, dense=True)
    assert not q.accented and "benh vien" in q.terms and "bao nhieu" in q.terms
    assert q.restored is not None and q.restored.startswith("bệnh viện k có bao nhiêu giường bệnh")
    exact = parse("Bệnh viện K có bao nhiêu giường bệnh?", gen.analyzer, gen.lexicon, dense=True)
    assert exact.accented and "bệnh viện" in exact.terms  # a well-typed question keeps the exact field


@pytest.mark.parametrize(("question", "typed_right"), [
    ("Bênh viện K có bao nhieu giường bệnh?", "Bệnh viện K có bao nhiêu giường bệnh?"),
    ("sốt xuât huyêt ở quang tri có bao nhiêu ca", "Sốt xuất huyết ở Quảng Trị có bao nhiêu ca?"),
])
def test_mixed_marks_get_the_answer_the_well_typed_question_gets(engine: Engine, question: str,
                                                                 typed_right: str) -> None:
    right, mixed = engine.answer(typed_right), engine.answer(question)
    assert right.answered and mixed.answered
    assert mixed.hits[0].url == right.hits[0].url in (K_URL, DENGUE_URL)
    for ans in (right, mixed):
        assert any(n in ans.hits[0].quote for n in ("2.400 giường", "1.250 ca"))


def test_the_bold_words_of_a_mixed_question_are_found_in_the_quote(engine: Engine) -> None:
    hit = engine.answer("Bênh viện K có bao nhieu giường bệnh?").hits[0]
    bold = [hit.quote[s:e] for s, e in hit.highlights]
    assert any("giường bệnh" in b for b in bold)
