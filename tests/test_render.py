from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from index.answer import Answer, Hit
from tests import telegram_html


def _hit(quote: str, highlights: tuple[tuple[int, int], ...] = (), context: str | None = None) -> Hit:
    return Hit(article_id="a1", title="Tiêu đề <script>&", url="https://x.vn/a?b=1&c=2", published="2025-05-17",
               topics=("Chuyển đổi số",), quote=quote, quote_span=(0, len(quote)),
               context=context if context is not None else quote, context_span=(0, len(quote)), score=1.0,
               highlights=highlights)


def test_answer_html_escapes_bolds_and_links() -> None:
    quote = "Tỷ lệ <đạt> 18,72% & tăng"
    msgs = render.answer_messages(Answer("q", True, 0.9, (_hit(quote, ((0, 5), (12, 18))),)))
    assert len(msgs) == 1
    m = msgs[0]
    telegram_html.check(m)
    assert "<blockquote><b>Tỷ lệ</b> &lt;đạt&gt; <b>18,72%</b> &amp; tăng</blockquote>" in m
    assert '<a href="https://x.vn/a?b=1&amp;c=2">Tiêu đề &lt;script&gt;&amp;</a> · 17/05/2025' in m


def test_context_goes_in_an_expandable_quote() -> None:
    hit = _hit("Câu trả lời.", context="Câu trước. Câu trả lời. Câu sau dài hơn một chút để có ngữ cảnh đầy đủ.")
    m = render.answer_messages(Answer("q", True, 0.9, (hit,)))[0]
    assert "<blockquote expandable>Câu trước." in m
    telegram_html.check(m)


def test_ten_thousand_character_quote_is_split_into_valid_messages() -> None:
    quote = ("Người dân & doanh nghiệp <vui> " * 400)[:10_000]
    hits = (_hit(quote, ((0, 8), (5000, 5030))), _hit("Ngắn."), _hit("Cũng ngắn."))
    msgs = render.answer_messages(Answer("q", True, 0.9, hits))
    assert len(msgs) >= 3
    for m in msgs:
        assert render.visible_length(m) <= 4096
        telegram_html.check(m)
    joined = "".join(msgs)
    assert joined.count("Tiêu đề") == 3  # every source line survives the split


def test_one_huge_word_is_cut_between_entities() -> None:
    quote = "&" * 9000
    msgs = render.answer_messages(Answer("q", True, 0.9, (_hit(quote),)))
    for m in msgs:
        assert render.visible_length(m) <= 4096
        telegram_html.check(m)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6000),
       st.lists(st.tuples(st.integers(0, 6000), st.integers(0, 6000)), max_size=5))
def test_any_text_renders_valid_and_short(quote: str, raw_spans: list[tuple[int, int]]) -> None:
    spans = tuple(sorted((min(a, b), max(a, b)) for a, b in raw_spans))
    msgs = render.answer_messages(Answer("q", True, 0.9, (_hit(quote or "x", spans),)))
    for m in msgs:
        assert render.visible_length(m) <= 4096
        telegram_html.check(m)


def test_refusal_and_topic_page() -> None:
    r = render.refusal_message("Giá vàng?", ["Kinh tế", "Chuyển <đổi> số"])
    telegram_html.check(r)
    assert "Chuyển &lt;đổi&gt; số" in r


@pytest.mark.parametrize(("iso", "out"), [("2025-05-17", "17/05/2025"), (None, "")])
def test_dates(iso: str | None, out: str) -> None:
    assert render.fmt_date(iso) == out
