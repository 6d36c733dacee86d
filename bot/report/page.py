"""report.html: one self-contained page (charts inlined as data: URIs), readable offline."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

from bot.report.clusters import Cluster
from bot.report.data import Day

STYLE = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}img{max-width:100%}.q{text-align:left}
.muted{color:#777}h2{margin-top:1.6em}"""


def _img(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img id="chart-{escape(name)}" alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _ms(v: float | None) -> str:
    return f"{v:.0f}" if v is not None else "—"


def _summary(days: list[Day], up: int, down: int) -> str:
    total = sum(d.questions for d in days)
    answered = sum(d.answered for d in days)
    rows = [("questions", "Câu hỏi", str(total)), ("answered", "Đã trả lời", str(answered)),
            ("answered-rate", "Tỷ lệ trả lời", _pct(answered, total)),
            ("unanswered", "Chưa trả lời được", str(total - answered)),
            ("votes-up", "👍 Hữu ích", str(up)), ("votes-down", "👎 Chưa hữu ích", str(down))]
    return '<table id="summary">' + "".join(
        f'<tr><th>{label}</th><td data-k="{k}">{value}</td></tr>' for k, label, value in rows) + "</table>"


def _days(days: list[Day]) -> str:
    head = "<tr><th>Ngày</th><th>Câu hỏi</th><th>Đã trả lời</th><th>Tỷ lệ</th><th>p50 (ms)</th><th>p95 (ms)</th></tr>"
    body = "".join(
        f'<tr data-day="{d.day.isoformat()}"><td>{d.day.strftime("%d/%m/%Y")}</td><td>{d.questions}</td>'
        f"<td>{d.answered}</td><td>{_pct(d.answered, d.questions)}</td><td>{_ms(d.p50_ms)}</td>"
        f"<td>{_ms(d.p95_ms)}</td></tr>" for d in days)
    return f'<table id="days">{head}{body}</table>'


def _topics(counts: list[tuple[str, int]]) -> str:
    if not counts:
        return '<p class="muted">Chưa có câu hỏi nào được trả lời.</p>'
    body = "".join(f'<tr data-topic="{escape(t)}"><td>{escape(t)}</td><td>{n}</td></tr>' for t, n in counts)
    return f'<table id="topics"><tr><th>Chủ đề</th><th>Câu hỏi</th></tr>{body}</table>'


def _clusters(clusters: list[Cluster]) -> str:
    if not clusters:
        return '<p class="muted">Không có câu hỏi nào chưa được trả lời.</p>'
    rows = []
    for i, c in enumerate(clusters, 1):
        examples = "<br>".join(f"«{escape(q)}»" for q in c.examples)
        if c.closest is None:
            near = '<span class="muted">—</span>'
        else:
            title = escape(c.closest.title)
            link = f'<a href="{escape(c.closest.url)}">{title}</a>' if c.closest.url else title
            near = link + (f' <span class="muted">{escape(c.closest.published)}</span>' if c.closest.published else "")
        rows.append(f'<tr class="cluster"><td>{i}</td><td data-k="size">{c.size}</td>'
                    f'<td class="q">{examples}</td><td class="q">{near}</td></tr>')
    head = "<tr><th>#</th><th>Số lần hỏi</th><th>Ví dụ câu hỏi</th><th>Bài gần nhất đã có</th></tr>"
    return f'<table id="clusters">{head}{"".join(rows)}</table>'


def render(period: str, days: list[Day], counts: list[tuple[str, int]], up: int, down: int,
           clusters: list[Cluster], charts: Mapping[str, bytes]) -> str:
    """The page. Only masked question text and aggregates reach it: no user ids, no hashes."""
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Hỏi Báo — báo cáo câu hỏi {escape(period)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>
<h1>Bạn đọc hỏi gì — {escape(period)}</h1>
{_summary(days, up, down)}
<h2>Câu hỏi mỗi ngày</h2>{_img("daily", charts["daily"], "Câu hỏi và tỷ lệ trả lời mỗi ngày")}
{_days(days)}
<h2>Thời gian trả lời</h2>{_img("latency", charts["latency"], "Thời gian trả lời p50/p95 mỗi ngày")}
<h2>Chủ đề bạn đọc quan tâm</h2>{_img("topics", charts["topics"], "Chủ đề bạn đọc hỏi")}
{_topics(counts)}
<h2>Đánh giá 👍/👎</h2>{_img("votes", charts["votes"], "Tỷ lệ đánh giá hữu ích")}
<h2>Bạn đọc muốn biết, báo chưa viết</h2>
<p>Các câu hỏi chưa trả lời được, gom theo nội dung, nhóm lớn nhất trước. Mỗi nhóm là một gợi ý đề tài.</p>
{_clusters(clusters)}
<p class="muted">Số điện thoại, số CCCD/CMND và email trong câu hỏi đã được che trước khi lưu.
Giờ Việt Nam (UTC+7).</p>
</body></html>
"""
