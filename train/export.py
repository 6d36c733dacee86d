"""Write a trained cross-encoder as an int8 ONNX model folder that `index.rerank` serves."""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from index.rerank import MARKER, WEIGHTS


def export(model: Any, tokenizer_file: Path, out: Path, meta: dict[str, Any], hidden: int = 384,
           heads: int = 12) -> Path:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    out.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[0, 5, 6, 2, 2, 7, 8, 9, 2]], dtype=torch.long)
    mask = torch.ones_like(ids)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        with warnings.catch_warnings():  # tracer notes about shapes it fixes
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (ids, mask), str(raw), input_names=["input_ids", "attention_mask"],
                              output_names=["score"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"}, "score": {0: "batch"}},
                              opset_version=17, dynamo=False)
        optimize_model(str(raw), model_type="bert", num_heads=heads, hidden_size=hidden).save_model_to_file(str(fused))
        # DefaultTensorType: the fused ops' outputs have no inferred type; they are float.
        quantize_dynamic(str(fused), str(out / WEIGHTS), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": 1})
    shutil.copyfile(tokenizer_file, out / "tokenizer.json")
    (out / MARKER).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out
