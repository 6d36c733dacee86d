"""An int8 ONNX export of a sentence-transformers model, and an embedder that runs it.

`export` (needs torch + sentence-transformers, once) traces the whole model —
transformer, pooling, normalisation — into one ONNX graph, fuses it with
onnxruntime's BERT optimiser and quantises its weights to int8. The folder it
writes is an EMBEDDING_MODEL of its own: `OnnxEmbedder` runs it with onnxruntime
and the `tokenizers` library only, so a serving process never imports torch
(measured: cold start and resident memory, docs/performance.md).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MARKER = "hoibao-onnx.json"  # its presence makes a folder an ONNX embedder
WEIGHTS = "model_int8.onnx"


def is_onnx_model(name: str) -> bool:
    return (Path(name) / MARKER).is_file()


def export(model_dir: str, out: Path, quantize: bool = True) -> Path:
    """Write an ONNX embedder folder for the sentence-transformers model `model_dir`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model_dir, device="cpu")
    tok = st.tokenizer

    class Whole(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.st({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    out.mkdir(parents=True, exist_ok=True)
    sample = tok(["query: một hai ba", "passage: bốn năm sáu bảy tám chín mười"], padding=True, return_tensors="pt")
    config: Any = st[0].auto_model.config  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        with warnings.catch_warnings():  # tracer notes about shapes it fixes; checked by the tests
            warnings.simplefilter("ignore")
            torch.onnx.export(Whole().eval(), (sample["input_ids"], sample["attention_mask"]), str(raw),
                              input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                              opset_version=17, dynamo=False)
        # Fusing attention / layer norm / GELU first: +8 % passages/s on int8 here.
        optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                       hidden_size=config.hidden_size).save_model_to_file(str(fused))
        target = out / WEIGHTS
        if quantize:
            # DefaultTensorType: the fused ops' outputs have no inferred type; they are float.
            quantize_dynamic(str(fused), str(target), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": 1})
        else:
            os.replace(fused, target)
    tok.backend_tokenizer.save(str(out / "tokenizer.json"))
    meta = {"source": model_dir, "quantized": quantize, "dim": st.get_embedding_dimension(),
            "max_length": int(st.max_seq_length or 512), "pad_id": int(tok.pad_token_id or 0),
            "pad_token": str(tok.pad_token), "prompts": dict(st.prompts or {})}
    (out / MARKER).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


class OnnxEmbedder:
    """Same interface as vectors.Embedder, run by onnxruntime."""

    def __init__(self, name: str, batch_size: int = 16) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(name)
        meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        self.name = name
        self.batch_size = batch_size
        self.dim = int(meta["dim"])
        prompts: dict[str, str] = meta.get("prompts") or {}
        self.query_prefix = prompts.get("query", "")
        self.passage_prefix = prompts.get("passage", prompts.get("document", ""))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(meta["max_length"]))
        self.tokenizer.enable_padding(pad_id=int(meta["pad_id"]), pad_token=str(meta["pad_token"]))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(folder / WEIGHTS), opts, providers=["CPUExecutionProvider"])

    def _encode(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        vec = np.asarray(self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0], dtype=np.float32)
        # Renormalised: int8 weights leave the graph's own normalisation a hair off 1.
        return vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Batches of similar length waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            out[idx] = self._encode([self.passage_prefix + texts[j] for j in idx])
            if progress:
                progress(len(idx))
        return out

    def query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]
