"""Time expressions in a question → the period of publication it asks about and/or a wish for
recent news, plus the question without the words that would pollute BM25 ("tháng trước", "mới nhất").
Pure: "today" is passed in. Patterns are written once with their marks; an unaccented question meets
their folded twins, an accented one the exact forms ("Việt Nam 2024" is not "năm 2024"). Not periods,
on purpose: durations ("3 tháng trước", "mấy năm nay"), comparison bases ("cùng kỳ năm trước"), plans
and targets ("kế hoạch năm 2024", "đến cuối năm", any period not begun: a 2024 plan is written in
2023), "năm học 2025-2026", "ngày hội", "quý khách", "3/21".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .text import fold, has_marks, nfc, normalize

# A quarter's, half's or year's figures are reported in the weeks after it ends ("xuất khẩu quý I
# đạt …" in early April), a day's events the day or two after: such periods admit articles published
# up to this many days after their end. Months, weeks and relative days ("hôm qua") admit none.
REPORT_GRACE_DAYS = 15
EVENT_GRACE_DAYS = 2


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive
    label: str  # for the reply: "tháng 3/2025", "năm 2024", "tuần này (30/11–6/12/2026)"
    grace: int = 0  # days after `end` an article may still report on the period

    @property
    def last_published(self) -> date:
        return self.end + timedelta(days=self.grace)

    @property
    def phrase(self) -> str:
        """The label as a reply opens with it: "trong tháng 3/2025", "từ … đến nay"."""
        return self.label if self.label.startswith("từ ") else f"trong {self.label}"


@dataclass(frozen=True, slots=True)
class TimeScope:
    period: Period | None  # filter articles to those published in it
    recent: bool  # "mới nhất", "gần đây", "vừa qua": prefer recent articles
    text: str  # the question without its time expressions (the same string when it has none)


Resolve = Callable[[dict[str, str | None], date, int | None], Period | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str  # accented, lowercase; the folded twin is derived
    resolve: Resolve  # groups, today, year to use when the expression gives none → period
    absolute: bool = False  # names a calendar period: may be a plan's subject, may float in a range
    range_only: bool = False  # a bare date, year or "nay": a period only inside "từ … đến …"
    recent: bool = False


def _one_day(d: date, name: str) -> Period:
    return Period(d, d, f"{name} ({d.day}/{d.month}/{d.year})")


def _latest(build: Callable[[int], Period], g: dict[str, str | None], today: date, year: int | None) -> Period | None:
    """The year the question gives (else `year`), else the most recent occurrence that has started by today."""
    given = _year(g, today)
    given = year if given is None else given
    for y in [given] if given is not None else range(today.year, today.year - 5, -1):  # 29/2: a leap year
        try:
            p = build(y)
        except ValueError:  # 31/4, 29/2 of a common year
            continue
        if given is not None or p.start <= today:
            return p
    return None


_MONTH_WORDS = {"gieng": 1, "ba": 3, "tu": 4, "bon": 4, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
                "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12}


def _year(g: dict[str, str | None], today: date) -> int | None:
    if g.get("y"):
        return int(str(g["y"]))
    rel = g.get("rel")  # "nay", else "ngoái" / "trước"
    return today.year - (fold(rel) != "nay") if rel else None


def _month_no(raw: str | None) -> int:
    text = " ".join(fold(raw or "").split())
    return int(text) if text.isdigit() else _MONTH_WORDS[text]


def _months(y: int, first: int, last: int, label: str, grace: int = REPORT_GRACE_DAYS) -> Period:
    return Period(date(y, first, 1), date(y, last, calendar.monthrange(y, last)[1]), label, grace)


def _month_of(day: date) -> Period:
    return _months(day.year, day.month, day.month, f"tháng {day.month}/{day.year}", 0)


def _week(today: date, back: int, name: str) -> Period:
    monday = today - timedelta(days=today.weekday() + 7 * back)  # Vietnamese weeks start on Monday
    sunday = monday + timedelta(days=6)
    first = f"{monday.day}/{monday.month}" + (f"/{monday.year}" if monday.year != sunday.year else "")
    return Period(monday, sunday, f"{name} ({first}–{sunday.day}/{sunday.month}/{sunday.year})")


def _day(g: dict[str, str | None], today: date, year: int | None) -> Period | None:
    d, m = int(str(g["d"])), int(str(g["m"]))
    return _latest(lambda y: Period(date(y, m, d), date(y, m, d), f"ngày {d}/{m}/{y}", EVENT_GRACE_DAYS), g, today,
                   year)


def _quarter(g: dict[str, str | None], today: date, year: int | None) -> Period | None:
    romans = ("I", "II", "III", "IV")
    q = int(raw) if (raw := str(g["q"])).isdigit() else romans.index(raw.upper()) + 1
    roman = romans[q - 1]
    return _latest(lambda y: _months(y, 3 * q - 2, 3 * q, f"quý {roman}/{y}"), g, today, year)


def _half(g: dict[str, str | None], today: date, year: int | None) -> Period | None:
    first = fold(str(g["h"])) == "dau"
    return _latest(lambda y: _months(y, 1 if first else 7, 6 if first else 12,
                                     f"6 tháng {'đầu' if first else 'cuối'} năm {y}"), g, today, year)


def _year_part(g: dict[str, str | None], today: date, year: int | None) -> Period | None:
    """"đầu năm" = its first quarter, "cuối năm" = its last (what year-start and year-end reports cover)."""
    if fold(str(g["w"])) == "dau":
        return _latest(lambda y: _months(y, 1, 3, f"đầu năm {y} (tháng 1–3)", 0), g, today, year)
    return _latest(lambda y: _months(y, 10, 12, f"cuối năm {y} (tháng 10–12)"), g, today, year)


_B = r"(?<![\w/])"
_E = r"(?![\w/]|[.,-]\d)"
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_REL = r"(?P<rel>nay|ngoái|trước)"
_YTAIL = rf"(?:(?:\s*[/-]\s*|\s+năm\s+){_YEAR}|\s+năm\s+{_REL})?"
_MWORDS = "mười một|mười hai|mười|giêng|chạp|ba|tư|bốn|sáu|bảy|tám|chín"
_LAST = r"(?:trước|qua|vừa\s+qua|rồi)"


def _fixed(fn: Callable[[date], Period]) -> Resolve:
    return lambda g, today, year: fn(today)


_RULES: tuple[_Rule, ...] = (
    _Rule(rf"{_B}(?:ngày\s+)?hôm\s+nay{_E}", _fixed(lambda t: _one_day(t, "hôm nay"))),
    _Rule(rf"{_B}(?:ngày\s+)?hôm\s+qua{_E}", _fixed(lambda t: _one_day(t - timedelta(days=1), "hôm qua"))),
    _Rule(rf"{_B}tuần\s+này{_E}", _fixed(lambda t: _week(t, 0, "tuần này"))),
    _Rule(rf"{_B}tuần\s+{_LAST}{_E}", _fixed(lambda t: _week(t, 1, "tuần trước"))),
    _Rule(rf"{_B}tháng\s+này{_E}", _fixed(lambda t: _month_of(t))),
    _Rule(rf"{_B}tháng\s+{_LAST}{_E}", _fixed(lambda t: _month_of(t.replace(day=1) - timedelta(days=1)))),
    _Rule(rf"{_B}năm\s+nay{_E}", _fixed(lambda t: _months(t.year, 1, 12, f"năm {t.year}"))),
    _Rule(rf"{_B}năm\s+(?:ngoái|trước|rồi){_E}", _fixed(lambda t: _months(t.year - 1, 1, 12, f"năm {t.year - 1}"))),
    _Rule(rf"{_B}tháng\s+(?P<m>0?[1-9]|1[0-2]|{_MWORDS}){_YTAIL}{_E}", absolute=True,
          resolve=lambda g, t, y: _latest(lambda yy: _month_of(date(yy, _month_no(g["m"]), 1)), g, t, y)),
    _Rule(rf"{_B}quý\s+(?P<q>iv|iii|ii|i|[1-4]){_YTAIL}{_E}", _quarter, absolute=True),
    _Rule(rf"{_B}(?:(?:6|sáu)\s+tháng|nửa)\s+(?P<h>đầu|cuối)\s+năm(?:\s+{_YEAR}|\s+{_REL})?{_E}", _half,
          absolute=True),
    _Rule(rf"{_B}(?P<w>đầu|cuối)\s+năm(?:\s+{_YEAR}|\s+{_REL})?{_E}", _year_part, absolute=True),
    _Rule(rf"{_B}(?<!việt\s)năm\s+{_YEAR}{_E}", absolute=True,
          resolve=lambda g, t, y: _months(int(str(g["y"])), 1, 12, f"năm {g['y']}")),
    _Rule(rf"{_B}ngày\s+(?P<d>\d{{1,2}})\s*[/-]\s*(?P<m>\d{{1,2}})(?:\s*[/-]\s*{_YEAR})?{_E}", _day, absolute=True),
    _Rule(rf"{_B}ngày\s+(?P<d>\d{{1,2}})\s+tháng\s+(?P<m>\d{{1,2}})(?:\s+năm\s+{_YEAR})?{_E}", _day, absolute=True),
    _Rule(rf"{_B}(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/{_YEAR}{_E}", _day, absolute=True),
    _Rule(rf"{_B}(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}}){_E}", _day, absolute=True, range_only=True),
    _Rule(rf"{_B}{_YEAR}{_E}", absolute=True, range_only=True,
          resolve=lambda g, t, y: _months(int(str(g["y"])), 1, 12, f"năm {g['y']}")),
    _Rule(rf"{_B}(?:nay|bây\s+giờ|hiện\s+nay|hiện\s+tại){_E}", _fixed(lambda t: Period(t, t, "nay")),
          range_only=True),
    _Rule(rf"{_B}(?:mới\s+nhất|gần\s+đây(?:\s+nhất)?|vừa\s+qua|vừa\s+rồi|mới\s+đây){_E}",
          lambda g, t, y: None, recent=True),
)
_COMPILED = {marks: [re.compile(r.pattern if marks else fold(r.pattern)) for r in _RULES] for marks in (True, False)}

# Just before an expression: a quantity makes it a duration ("3 tháng trước", "mấy năm nay"),
# a comparison or plan word makes it the question's subject, not its time.
_QUANTITY = re.compile(r"(?:\d+|bao\s+nhiêu|một|hai|ba|bốn|sáu|bảy|tám|chín|mười|mươi|trăm|mấy|vài|nhiều|các|"
                       r"những|hàng|từng|năm|mỗi)\s+$")
_BASE = re.compile(r"(?:cùng\s+kỳ|so\s+với|hơn)\s+$")
_PLAN = re.compile(r"(?:kế\s+hoạch|mục\s+tiêu|chỉ\s+tiêu|ngân\s+sách|dự\s+toán|định\s+hướng|tầm\s+nhìn|"
                   r"giai\s+đoạn|nhiệm\s+kỳ|chiến\s+lược|quy\s+hoạch|đến|tới|trước)\s+$")
_FROM = re.compile(r"(?<!\w)(?:kể\s+)?từ\s+$")
_TO = re.compile(r"\s*(?:đến|tới|cho\s+đến)\s+")
_LEAD = re.compile(r"(?<!\w)(?:trong|vào|hồi)\s+$")
# Unaccented, "nam" and "moi" are more often "Việt Nam" and "mới" than "năm" (five) and "mỗi".
_GUARDS = {True: (_QUANTITY, _BASE, _PLAN, _FROM, _TO, _LEAD), False: tuple(re.compile(fold(g.pattern).replace(
    "|nam|moi)", ")") if g is _QUANTITY else fold(g.pattern)) for g in (_QUANTITY, _BASE, _PLAN, _FROM, _TO, _LEAD))}


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    rule: _Rule
    groups: dict[str, str | None]

    def period(self, today: date, year: int | None = None) -> Period | None:
        return self.rule.resolve(self.groups, today, year)

    @property
    def floating(self) -> bool:  # an absolute expression without a year of its own
        return self.rule.absolute and not (self.groups.get("y") or self.groups.get("rel"))


def _hits(text: str, marks: bool) -> list[_Hit]:
    """Every rule's matches; where they overlap, the earliest, then the longest, wins."""
    found = [_Hit(m.start(), m.end(), rule, m.groupdict())
             for rule, rx in zip(_RULES, _COMPILED[marks], strict=True) for m in rx.finditer(text)]
    found.sort(key=lambda h: (h.start, h.start - h.end))
    out: list[_Hit] = []
    for h in found:
        if not out or h.start >= out[-1].end:
            out.append(h)
    return out


def _span(a: _Hit, b: _Hit, today: date) -> Period | None:
    """"từ a đến b": a year given on one side applies to the other ("từ tháng 3 đến tháng 5/2025")."""
    pa, pb = a.period(today), b.period(today)
    if pa is None or pb is None:
        return None
    if a.floating and (not b.floating or pa.start > pb.end):
        pa = a.period(today, pb.end.year)
        if pa is not None and pa.start > pb.end:
            pa = a.period(today, pb.end.year - 1)
    elif b.floating and not a.floating:
        pb = b.period(today, pa.start.year)
        if pb is not None and pb.end < pa.start:
            pb = b.period(today, pa.start.year + 1)
    if pa is None or pb is None or pa.start > pb.end:
        return None
    if pb.end >= today and (b.rule.range_only or pb.start == today):  # "đến nay", "đến hôm nay"
        return Period(pa.start, today, f"từ {_short(pa.label)} đến nay")
    return Period(pa.start, pb.end, f"từ {_short(pa.label)} đến {_short(pb.label)}", pb.grace)


def _short(label: str) -> str:  # inside a range a label loses its explanation: "từ đầu năm 2026 đến nay"
    return label.split(" (", 1)[0]


def _accept(text: str, hits: list[_Hit], today: date, marks: bool) -> tuple[list[Period], list[tuple[int, int]], bool]:
    """(periods, spans to remove, recent) from the hits, ranges first, then guards."""
    quantity, base, plan, from_, to, lead = _GUARDS[marks]
    periods: list[Period] = []
    spans: list[tuple[int, int]] = []
    recent, i = False, 0
    while i < len(hits):
        h, before = hits[i], text[:hits[i].start]
        f, nxt = from_.search(before), (hits[i + 1] if i + 1 < len(hits) else None)
        if f and nxt and to.fullmatch(text, h.end, nxt.start) and not h.rule.recent and not nxt.rule.recent:
            p = _span(h, nxt, today)
            if p is not None and p.start <= today:
                periods.append(p)
                spans.append((f.start(), nxt.end))
            i += 2
            continue
        i += 1
        if h.rule.recent:
            recent, spans = True, [*spans, (h.start, h.end)]
            continue
        if h.rule.range_only or quantity.search(before) or base.search(before):
            continue
        if f:  # "từ tháng 3" alone: since then
            p = h.period(today)
            if p is not None and p.start <= today:
                periods.append(Period(p.start, today, f"từ {_short(p.label)} đến nay"))
                spans.append((f.start(), h.end))
            continue
        p = h.period(today)
        if p is None or p.start > today or (h.rule.absolute and plan.search(before)):
            continue
        periods.append(p)
        spans.append((m.start() if (m := lead.search(before)) else h.start, h.end))
    return periods, spans, recent


def parse_time(question: str, today: date) -> TimeScope:
    """The period and recency a question asks for, and the question without them."""
    base, norm = nfc(question), normalize(nfc(question))
    base = norm if len(norm) != len(base) else base  # a longer lowercase form: offsets follow `norm`
    marks = has_marks(base)
    text = norm if marks else "".join(c if len(f := fold(c)) != 1 else f for c in norm)
    periods, spans, recent = _accept(text, _hits(text, marks), today, marks)
    if not periods and not recent:
        return TimeScope(None, False, question)
    # Words with a number stay: an article of that period often repeats them ("Năm 2024, …", "ngày 5/3").
    spans = [(s, e) for s, e in spans if not re.search(r"\d", text[s:e])]
    end = max((p.end for p in periods), default=today)  # two periods: the span of both
    period = Period(min(p.start for p in periods), end, " và ".join(dict.fromkeys(p.label for p in periods)),
                    (max(p.last_published for p in periods) - end).days) if periods else None
    kept = [base[e:s] for e, s in zip([0] + [e for _, e in sorted(spans)], [s for s, _ in sorted(spans)] + [len(base)],
                                      strict=True)]
    rest = re.sub(r"\s+([,.?!;:])", r"\1", " ".join("".join(kept).split()))
    return TimeScope(period, recent, re.sub(r"^[\s,.;:–-]+", "", rest).strip() if spans else question)
