"""Draw docs/scale-out.png: the 3-node Qdrant layout of docs/scale-out.md.

Run: .venv/bin/python docs/scale_out_drawing.py  (matplotlib only; deterministic output)
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

OUT = Path(__file__).with_name("scale-out.png")
BLUE, GREEN, ORANGE, GREY = "#dbe9f6", "#dff0d8", "#fbe5cc", "#eeeeee"


def box(ax: Axes, x: float, y: float, w: float, h: float, text: str, color: str, size: int = 9) -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="#444444", lw=1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size)


def arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float], text: str = "", dashed: bool = False) -> None:
    ax.annotate("", xy=b, xytext=a, arrowprops={"arrowstyle": "->", "lw": 1.2, "color": "#333333",
                                                "linestyle": "--" if dashed else "-"})
    if text:
        ax.text((a[0] + b[0]) / 2 + 0.08, (a[1] + b[1]) / 2, text, fontsize=7.5, color="#333333")


def main() -> None:
    fig, ax = plt.subplots(figsize=(11, 7.2))
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 7.2)
    ax.axis("off")
    box(ax, 0.3, 6.2, 2.2, 0.7, "Telegram\n(webhook POSTs)", GREY)
    box(ax, 3.3, 6.2, 2.6, 0.7, "load balancer / TLS\n(any replica may answer)", GREY)
    for i in range(3):
        box(ax, 0.4 + i * 2.3, 4.4, 2.0, 1.0, f"bot replica {i + 1}\nstateless: no writes,\nstats + articles read-only",
            BLUE, 8)
        arrow(ax, (4.6, 6.2), (1.4 + i * 2.3, 5.4))
    worker = "sync worker (exactly one)\nfetch → python -m index sync\n→ python -m index.backends push"
    box(ax, 7.6, 4.4, 3.1, 1.0, worker, ORANGE, 8)
    box(ax, 7.6, 6.2, 3.1, 0.7, "shared volume (read-only to bots)\nindex generations + BM25 stats", GREY, 8)
    arrow(ax, (9.15, 5.4), (9.15, 6.2), "writes")
    arrow(ax, (7.6, 6.55), (6.3, 5.4), "reads", dashed=True)
    arrow(ax, (2.5, 6.55), (3.3, 6.55))
    ax.add_patch(FancyBboxPatch((0.3, 0.3), 10.4, 3.3, boxstyle="round,pad=0.02", fc="white", ec="#777777",
                                lw=1, ls="--"))
    ax.text(0.45, 3.35, "Qdrant cluster: collection hoibao-<build> behind alias \"hoibao\"; 3 shards × replication 2",
            fontsize=9, weight="bold")
    layout = [("S1", "S2"), ("S2", "S3"), ("S3", "S1")]
    for i, (own, copy) in enumerate(layout):
        x = 0.7 + i * 3.4
        box(ax, x, 0.6, 2.9, 2.4, "", GREEN)
        ax.text(x + 1.45, 2.7, f"qdrant node {i + 1}", ha="center", fontsize=9, weight="bold")
        box(ax, x + 0.2, 1.6, 1.15, 0.8, f"shard {own}\nreplica A", "white", 8)
        box(ax, x + 1.55, 1.6, 1.15, 0.8, f"shard {copy}\nreplica B", "white", 8)
        ax.text(x + 1.45, 0.95, "if this node dies: its shards\nare served by the other two", ha="center",
                fontsize=7)
    for i in range(3):
        arrow(ax, (1.4 + i * 2.3, 4.4), (2.1 + i * 3.4, 3.05), "query: sparse idf·tf, dense" if i == 0 else "")
    arrow(ax, (9.15, 4.4), (8.8, 3.05), "new collection,\nthen alias switch")
    fig.tight_layout()
    fig.savefig(OUT, dpi=110, metadata={"Software": None})


if __name__ == "__main__":
    main()
