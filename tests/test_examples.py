from __future__ import annotations

from pathlib import Path

from bot.examples import examples, question_from
from index.answer import Engine
from index.build import build
from index.generation import load
from tests.conftest import SAMPLE


def test_quantities_become_questions_and_names_do_not() -> None:
    assert question_from("Tổ công nghệ số cộng đồng của xã gồm 42 thành viên, chủ yếu là đoàn viên.") == \
        "Tổ công nghệ số cộng đồng của xã gồm bao nhiêu thành viên?"
    assert question_from("Trước dự báo bão số 2 có thể ảnh hưởng đến Hà Tĩnh.") is None
    assert question_from("Năm 2025, xã sẽ lắp thêm 6 điểm phát sóng wifi miễn phí tại nhà văn hóa.") == \
        "Năm 2025, xã sẽ lắp thêm bao nhiêu điểm phát sóng wifi miễn phí tại nhà văn hóa?"


def test_start_examples_are_answered_from_their_own_sentence(tmp_path: Path) -> None:
    build([SAMPLE], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    engine = Engine(gen)
    qs = examples(gen.articles)
    assert len(qs) == 3 and all(q.endswith("?") and "bao nhiêu" in q for q in qs)
    for q in qs:
        ans = engine.answer(q)
        assert ans.answered
        head = q.split(" bao nhiêu")[0]
        assert head.split()[-1] in ans.hits[0].quote
