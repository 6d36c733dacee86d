"""Draw docs/ablation.png: answer_hit@1 against latency for the quote choosers of
docs/answers.md, "Near misses and the cross-encoder". Run: python docs/ablation_drawing.py

The figures are the table's (fold 0 of the dev split, cross-validated); the cross-encoder's
latency is the served answer() p50 on an idle machine (90 ms) plus its 12 pairs, measured at
load 12–16 (173 ms) and scaled to an idle machine (÷5): an estimate, said so on the plot.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

SERVED_MS, READER_MS = 90.0, 173.0 / 5
VARIANTS = [  # name, answer_hit@1 on fold 0, uses the cross-encoder
    ("word/cosine (served)", 0.7201, False),
    ("cross-encoder alone", 0.5486, True),
    ("logit + 0.5 × score", 0.6177, True),
    ("logit + 1 × score", 0.6552, True),
    ("logit + 2 × score", 0.6903, True),
]


def main(out: Path = Path(__file__).parent / "ablation.png") -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, hit, reader in VARIANTS:
        ms = SERVED_MS + (READER_MS if reader else 0.0)
        ax.scatter([ms], [hit], color="tab:red" if reader else "tab:blue", s=50)
        ax.annotate(name, (ms, hit), textcoords="offset points", xytext=(6, -3), fontsize=8)
    ax.axhline(0.79, color="grey", linestyle="--", linewidth=0.8)
    ax.annotate("target 0.79", (SERVED_MS - 8, 0.792), fontsize=8, color="grey")
    ax.set_xlim(70, 200)
    ax.set_xlabel("answer() p50, ms (2 cores; cross-encoder: estimated for an idle machine)")
    ax.set_ylabel("answer_hit@1 (dev fold 0, cross-validated)")
    ax.set_title("Quote choosers: word/cosine scores vs the 4-layer cross-encoder")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
