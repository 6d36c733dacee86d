"""The answer-sentence cross-encoder at serving time: onnxruntime and `tokenizers` only.

It reads a question and a candidate sentence together — with the sentence before it and
the article's title in view, since an answer often names its subject only there — and
scores how likely the sentence holds the answer. Trained by `make train-reranker`
(`train/`); the model folder holds `model_int8.onnx`, a pruned `tokenizer.json` and
`hoibao-reranker.json` (what it was trained on, its input length).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# a pair too long is cut from the longer side: "only_second" raises on a question longer than
# max_length (a reader pasting a paragraph), and equals this whenever the question is short
TRUNCATION = "longest_first"
MARKER = "hoibao-reranker.json"
WEIGHTS = "model_int8.onnx"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "models" / "reranker"
BATCH = 16  # pairs per onnxruntime call: larger batches pad more than they save


def candidate_text(sentence: str, previous: str, title: str) -> str:
    """What the model reads of a candidate: the sentence first (truncation cuts from the end,
    so it is always whole), then the title, then the sentence before it."""
    parts = [sentence.strip(), title.strip(), previous.strip()]
    return " | ".join(p for p in parts if p)


class RerankerUnavailable(RuntimeError):
    pass


class Reranker:
    """Scores (question, candidate) pairs; thread-safe (onnxruntime sessions are)."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            self.meta: dict[str, Any] = json.loads((folder / MARKER).read_text(encoding="utf-8"))
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except (OSError, ValueError) as exc:
            raise RerankerUnavailable(f"{folder}: not a reranker folder ({exc})") from exc
        self.folder = folder
        self.max_length = int(self.meta["max_length"])
        self.previous = bool(self.meta.get("previous", True))  # trained with the sentence before in view
        self.tokenizer.enable_truncation(self.max_length, strategy=TRUNCATION)
        self.tokenizer.enable_padding(pad_id=int(self.meta.get("pad_id", 1)))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(folder / WEIGHTS), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a damaged file
            raise RerankerUnavailable(f"{folder / WEIGHTS}: {exc}") from exc
        self._lock = threading.Lock()  # the tokenizer's padding/truncation state is shared

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One logit per text, higher = more likely to hold the answer."""
        out = np.zeros(len(texts), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = list(texts[start:start + BATCH])
            with self._lock:
                enc = self.tokenizer.encode_batch([(question, t) for t in chunk])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            (logits,) = self.session.run(["score"], {"input_ids": ids, "attention_mask": mask})
            out[start:start + len(chunk)] = np.asarray(logits, dtype=np.float32).reshape(-1)
        return out


def load_reranker(name: str | None) -> Reranker | None:
    """RERANKER_MODEL: a folder, "none" to serve without one; unset or empty: the committed
    model when present (a clone without it answers with word/cosine scores only)."""
    name = (name or "").strip()
    if name.lower() in ("none", "off"):
        return None
    if not name:
        return Reranker(DEFAULT_DIR) if (DEFAULT_DIR / MARKER).is_file() else None
    return Reranker(Path(name))
