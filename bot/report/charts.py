"""The report's charts as PNG bytes (matplotlib's object API with the Agg canvas:
no pyplot, so no global state shared between the bot's threads)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.report.data import Day

BLUE, GREEN, RED, GREY = "#1f5fa8", "#2e8b57", "#c0392b", "#888888"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # no timestamp in the file: the same log gives the same bytes
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def _labels(days: Sequence[Day]) -> list[str]:
    return [d.day.strftime("%d/%m") for d in days]


def _daily_axes(fig: Figure, days: Sequence[Day], where: int | tuple[int, int, int] = 111) -> None:
    ax = fig.add_subplot(where) if isinstance(where, int) else fig.add_subplot(*where)
    x = range(len(days))
    ax.bar(x, [d.questions for d in days], color=BLUE, label="Câu hỏi")
    ax.set_ylabel("Câu hỏi")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # questions come whole
    ax.set_title("Câu hỏi và tỷ lệ trả lời mỗi ngày")
    rate = ax.twinx()
    rate.plot(x, [100 * d.answered_rate if d.answered_rate is not None else float("nan") for d in days],
              color=GREEN, marker="o", label="Tỷ lệ trả lời (%)")
    rate.set_ylim(0, 105)
    rate.set_ylabel("Trả lời (%)")
    ax.set_xticks(list(x), _labels(days), rotation=45 if len(days) > 10 else 0, fontsize=8)
    ax.legend(loc="upper left", fontsize=8)
    rate.legend(loc="upper right", fontsize=8)


def daily(days: Sequence[Day]) -> bytes:
    fig = Figure(figsize=(9, 4), layout="constrained")
    _daily_axes(fig, days)
    return _png(fig)


def latency(days: Sequence[Day]) -> bytes:
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    x = range(len(days))
    for attr, label, color in (("p50_ms", "p50", BLUE), ("p95_ms", "p95", RED)):
        ax.plot(x, [getattr(d, attr) if getattr(d, attr) is not None else float("nan") for d in days],
                marker="o", color=color, label=label)
    ax.set_title("Thời gian trả lời mỗi ngày (ms)")
    ax.set_ylabel("ms")
    ax.set_ylim(bottom=0)
    ax.set_xticks(list(x), _labels(days), rotation=45 if len(days) > 10 else 0, fontsize=8)
    ax.legend(fontsize=8)
    return _png(fig)


def _topics_axes(fig: Figure, counts: Sequence[tuple[str, int]], where: tuple[int, int, int] = (1, 1, 1)) -> None:
    ax = fig.add_subplot(*where)
    shown = list(counts)[:12][::-1]  # largest on top
    ax.barh([t for t, _ in shown], [n for _, n in shown], color=BLUE)
    ax.set_title("Chủ đề bạn đọc hỏi (câu đã trả lời)")
    ax.set_xlabel("Câu hỏi")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", labelsize=8)
    if not shown:
        ax.text(0.5, 0.5, "Chưa có dữ liệu", ha="center", va="center", transform=ax.transAxes, color=GREY)


def topics(counts: Sequence[tuple[str, int]]) -> bytes:
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    _topics_axes(fig, counts)
    return _png(fig)


def votes(up: int, down: int) -> bytes:
    fig = Figure(figsize=(5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title("Đánh giá của bạn đọc")
    if up + down:
        ax.pie([up, down], labels=[f"Hữu ích ({up})", f"Chưa hữu ích ({down})"], colors=[GREEN, RED],
               autopct="%1.0f%%", startangle=90, counterclock=False)
    else:
        ax.text(0.5, 0.5, "Chưa có đánh giá", ha="center", va="center", transform=ax.transAxes, color=GREY)
        ax.set_axis_off()
    return _png(fig)


def week(days: Sequence[Day], counts: Sequence[tuple[str, int]]) -> bytes:
    """One picture for /baocao: the days, and the topics asked about."""
    fig = Figure(figsize=(9, 7), layout="constrained")
    _daily_axes(fig, days, (2, 1, 1))
    _topics_axes(fig, counts, (2, 1, 2))
    return _png(fig)
