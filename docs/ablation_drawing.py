"""Draw docs/ablation.png: answer_hit@1 against latency for the quote choosers of
docs/answers.md, "The cross-encoder". Run: python docs/ablation_drawing.py

Every figure is the whole dev split's, 2-fold cross-validated (the tables there). Latency is
answer(k=10) p50 in the eval on 2 idle cores; the "logit + w × score" variants cost what the
served one does (the same 4 pairs a question), so they share its latency.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

CHOOSER_MS, ONE_ARTICLE_MS, THREE_ARTICLES_MS = 47.6, 135.9, 215.3
VARIANTS = [  # name, answer_hit@1, p50 ms, reads with the cross-encoder
    ("word/cosine scores (CI gate)", 0.7226, CHOOSER_MS, False),
    ("cross-encoder alone", 0.7142, ONE_ARTICLE_MS, True),
    ("logit + 2 × score", 0.7270, ONE_ARTICLE_MS, True),
    ("logit + 6 × score", 0.7326, ONE_ARTICLE_MS, True),
    ("logit + 12 × score, first article (served)", 0.7346, ONE_ARTICLE_MS, True),
    ("logit + 12 × score, top 3 articles", 0.7351, THREE_ARTICLES_MS, True),
]


def main(out: Path = Path(__file__).parent / "ablation.png") -> None:
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for name, hit, ms, reader in VARIANTS:
        ax.scatter([ms], [hit], color="tab:red" if reader else "tab:blue", s=50)
        ax.annotate(name, (ms, hit), textcoords="offset points", xytext=(6, -3), fontsize=8)
    ax.axhline(0.79, color="grey", linestyle="--", linewidth=0.8)
    ax.annotate("target 0.79", (CHOOSER_MS, 0.786), fontsize=8, color="grey")
    ax.set_xlim(20, 330)
    ax.set_ylim(0.70, 0.80)
    ax.set_xlabel("answer(k=10) p50, ms (dev index, 2 idle cores)")
    ax.set_ylabel("answer_hit@1 (dev split, 2-fold CV)")
    ax.set_title("Quote choice: word/cosine scores and the 12-layer cross-encoder")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
