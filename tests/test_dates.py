"""Time expressions in questions (index/dates.py), with today pinned to Monday 30/11/2026."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from index.dates import Period, parse_time

TODAY = date(2026, 11, 30)  # a Monday
D = date

# (question, start, end, label) — every expression of issue 11, accented.
CASES = [
    ("Hôm nay có tin gì", D(2026, 11, 30), D(2026, 11, 30), "hôm nay (30/11/2026)"),
    ("Hôm qua có tin gì", D(2026, 11, 29), D(2026, 11, 29), "hôm qua (29/11/2026)"),
    ("Tuần này có tin gì", D(2026, 11, 30), D(2026, 12, 6), "tuần này (30/11–6/12/2026)"),
    ("Tuần trước có tin gì", D(2026, 11, 23), D(2026, 11, 29), "tuần trước (23/11–29/11/2026)"),
    ("Tháng này có tin gì", D(2026, 11, 1), D(2026, 11, 30), "tháng 11/2026"),
    ("Tháng trước có tin gì", D(2026, 10, 1), D(2026, 10, 31), "tháng 10/2026"),
    ("Tháng 3 có tin gì", D(2026, 3, 1), D(2026, 3, 31), "tháng 3/2026"),
    ("Tháng 12 có tin gì", D(2025, 12, 1), D(2025, 12, 31), "tháng 12/2025"),  # not in the future
    ("Tháng 3/2025 có tin gì", D(2025, 3, 1), D(2025, 3, 31), "tháng 3/2025"),
    ("Tháng 3 năm 2025 có tin gì", D(2025, 3, 1), D(2025, 3, 31), "tháng 3/2025"),
    ("Tháng ba năm ngoái có tin gì", D(2025, 3, 1), D(2025, 3, 31), "tháng 3/2025"),
    ("Quý I có tin gì", D(2026, 1, 1), D(2026, 3, 31), "quý I/2026"),
    ("Quý 2 năm 2025 có tin gì", D(2025, 4, 1), D(2025, 6, 30), "quý II/2025"),
    ("Quý III/2024 có tin gì", D(2024, 7, 1), D(2024, 9, 30), "quý III/2024"),
    ("Quý IV có tin gì", D(2026, 10, 1), D(2026, 12, 31), "quý IV/2026"),
    ("6 tháng đầu năm có tin gì", D(2026, 1, 1), D(2026, 6, 30), "6 tháng đầu năm 2026"),
    ("6 tháng cuối năm 2025 có tin gì", D(2025, 7, 1), D(2025, 12, 31), "6 tháng cuối năm 2025"),
    ("Năm 2024 có tin gì", D(2024, 1, 1), D(2024, 12, 31), "năm 2024"),
    ("Năm ngoái có tin gì", D(2025, 1, 1), D(2025, 12, 31), "năm 2025"),
    ("Năm nay có tin gì", D(2026, 1, 1), D(2026, 12, 31), "năm 2026"),
    ("Đầu năm có tin gì", D(2026, 1, 1), D(2026, 3, 31), "đầu năm 2026 (tháng 1–3)"),
    ("Cuối năm 2025 có tin gì", D(2025, 10, 1), D(2025, 12, 31), "cuối năm 2025 (tháng 10–12)"),
    ("Ngày 5/3 có tin gì", D(2026, 3, 5), D(2026, 3, 5), "ngày 5/3/2026"),
    ("Ngày 5/3/2025 có tin gì", D(2025, 3, 5), D(2025, 3, 5), "ngày 5/3/2025"),
    ("Ngày 8 tháng 3 năm 2024 có tin gì", D(2024, 3, 8), D(2024, 3, 8), "ngày 8/3/2024"),
    ("Từ tháng 3 đến tháng 5/2025 có tin gì", D(2025, 3, 1), D(2025, 5, 31), "từ tháng 3/2025 đến tháng 5/2025"),
    ("Từ 1/3 đến 15/3/2026 có tin gì", D(2026, 3, 1), D(2026, 3, 15), "từ ngày 1/3/2026 đến ngày 15/3/2026"),
    ("Từ năm 2023 đến năm 2025 có tin gì", D(2023, 1, 1), D(2025, 12, 31), "từ năm 2023 đến năm 2025"),
    ("Từ tháng 11 đến tháng 2 có tin gì", D(2025, 11, 1), D(2026, 2, 28), "từ tháng 11/2025 đến tháng 2/2026"),
    ("Từ đầu năm đến nay có tin gì", D(2026, 1, 1), D(2026, 11, 30), "từ đầu năm 2026 đến nay"),
    ("Từ tuần trước đến hôm nay có tin gì", D(2026, 11, 23), D(2026, 11, 30), "từ tuần trước đến nay"),
    ("Kể từ ngày 1/7/2025 có tin gì", D(2025, 7, 1), D(2026, 11, 30), "từ ngày 1/7/2025 đến nay"),
]


def _check(question: str, start: date, end: date, label: str) -> None:
    scope = parse_time(question, TODAY)
    assert scope.period is not None, question
    assert (scope.period.start, scope.period.end, scope.period.label) == (start, end, label)
    assert not scope.recent
    # relative words go; words with a number stay (the article may repeat them): the very same string
    assert scope.text == (question if any(c.isdigit() for c in question) else "có tin gì"), scope.text


@pytest.mark.parametrize(("question", "start", "end", "label"), CASES)
def test_each_expression_accented(question: str, start: date, end: date, label: str) -> None:
    _check(question, start, end, label)


def _fold(text: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


@pytest.mark.parametrize(("question", "start", "end", "label"), CASES)
def test_each_expression_unaccented_and_any_case(question: str, start: date, end: date, label: str) -> None:
    typed = _fold(question).upper()
    scope = parse_time(typed, TODAY)
    assert scope.period is not None and (scope.period.start, scope.period.end, scope.period.label) == (start, end, label)
    assert scope.text == (typed if any(c.isdigit() for c in question) else "CO TIN GI")


@pytest.mark.parametrize(("question", "start", "end", "label"), CASES[::4])
def test_nfd_input(question: str, start: date, end: date, label: str) -> None:
    _check(unicodedata.normalize("NFD", question), start, end, label)


@pytest.mark.parametrize("question", ["Tin mới nhất về giá lúa", "Gần đây giá lúa thế nào", "Giá lúa vừa qua",
                                      "tin moi nhat ve gia lua", "gan day gia lua the nao", "GIA LUA VUA QUA"])
def test_recency_words_set_the_flag_and_leave_the_question(question: str) -> None:
    scope = parse_time(question, TODAY)
    assert scope.recent and scope.period is None
    rest = _fold(scope.text).lower()
    assert "gia lua" in rest and not any(w in rest for w in ("moi nhat", "gan day", "vua qua"))


def test_period_and_recency_together() -> None:
    scope = parse_time("Tháng này có gì mới nhất về OCOP?", TODAY)
    assert scope.recent and scope.period is not None and scope.period.label == "tháng 11/2026"
    assert scope.text == "có gì về OCOP?"


@pytest.mark.parametrize("question", [
    "Dự án kéo dài 3 năm", "ngày hội văn hóa", "năm học 2025-2026 có bao nhiêu học sinh", "kính chào quý khách",
    "3 năm trước", "mấy tháng nay", "nhiều năm nay", "Bao nhiêu năm nay?", "hai tuần trước",
    "tăng bao nhiêu so với cùng kỳ năm trước", "so với năm ngoái", "kế hoạch năm 2024 là gì",
    "mục tiêu đến năm 2030", "đến cuối năm phấn đấu bao nhiêu", "Việt Nam 2024", "xếp thứ 3/21",
    "năm 2027", "tháng 12/2026", "ngày 31/4", "tháng 13", "quy định mới", "quy trình 1 cửa", "thứ 3 hàng tuần",
    "nam hoc 2025-2026", "ngay hoi", "quy khach", "3 nam truoc", "ke hoach nam 2024", "cung ky nam truoc",
])
def test_no_false_positives(question: str) -> None:
    scope = parse_time(question, TODAY)
    assert scope.period is None and not scope.recent
    assert scope.text == question  # untouched: the same string


def test_no_time_expression_returns_the_same_string() -> None:
    q = "Tỷ lệ hồ sơ giải quyết đúng hạn đạt bao nhiêu?"
    assert parse_time(q, TODAY).text is q


def test_a_plan_year_is_no_period_a_reporting_year_is() -> None:
    plan = parse_time("Kế hoạch năm 2024 của tỉnh có mấy mục tiêu?", TODAY)
    assert plan.period is None and plan.text == "Kế hoạch năm 2024 của tỉnh có mấy mục tiêu?"
    report = parse_time("Năm 2024, tỉnh trồng bao nhiêu ha rừng?", TODAY)
    assert report.period is not None and report.text == "Năm 2024, tỉnh trồng bao nhiêu ha rừng?"
    relative = parse_time("Năm ngoái, tỉnh trồng bao nhiêu ha rừng?", TODAY)
    assert relative.period == report.period.__class__(D(2025, 1, 1), D(2025, 12, 31), "năm 2025", 15)
    assert relative.text == "tỉnh trồng bao nhiêu ha rừng?"


def test_leading_preposition_goes_with_the_expression() -> None:
    assert parse_time("Giá lúa trong tháng trước thế nào?", TODAY).text == "Giá lúa thế nào?"
    assert parse_time("Vào năm ngoái có bao nhiêu dự án?", TODAY).text == "có bao nhiêu dự án?"


def test_two_periods_make_their_hull() -> None:
    p = parse_time("So sánh năm 2024 và năm 2025", TODAY).period
    assert p == Period(D(2024, 1, 1), D(2025, 12, 31), "năm 2024 và năm 2025", 15)


def test_reports_of_a_quarter_half_or_year_are_admitted_a_little_after_it() -> None:
    q = parse_time("quý I/2025", TODAY).period
    assert q is not None and q.last_published == D(2025, 4, 15)
    d = parse_time("ngày 5/3/2025", TODAY).period  # a day's events are reported the day or two after
    assert d is not None and d.last_published == D(2025, 3, 7)
    m = parse_time("tháng 3/2025", TODAY).period
    assert m is not None and m.last_published == m.end


def test_today_is_an_argument() -> None:
    assert parse_time("tháng 3", D(2026, 2, 10)).period.label == "tháng 3/2025"  # type: ignore[union-attr]
    assert parse_time("tuần này", D(2026, 1, 1)).period.label == "tuần này (29/12/2025–4/1/2026)"  # type: ignore[union-attr]
    assert parse_time("ngày 29/2", TODAY).period.label == "ngày 29/2/2024"  # type: ignore[union-attr]


def test_phrase_for_the_reply() -> None:
    assert parse_time("tháng 3/2025", TODAY).period.phrase == "trong tháng 3/2025"  # type: ignore[union-attr]
    assert parse_time("từ tháng 3/2025 đến nay", TODAY).period.phrase == "từ tháng 3/2025 đến nay"  # type: ignore[union-attr]
