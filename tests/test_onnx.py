"""The int8 ONNX embedder: exported from the real (tiny) sentence-transformers model,
run by onnxruntime without torch, close to the model it came from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.build import build
from index.generation import load
from index.onnx_embed import OnnxEmbedder, export, is_onnx_model
from index.vectors import Embedder, load_embedder
from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow
TEXTS = ["Hà Tĩnh đẩy mạnh chuyển đổi số cấp xã", "Giá lúa tươi bán tại ruộng 7.000 đồng/kg",
         "Ca trù Cổ Đạm", "Bệnh viện tiết kiệm 3,5 tỷ đồng mỗi năm nhờ bệnh án điện tử. " * 3]


@pytest.fixture(scope="module")
def exported(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("onnx")
    return export(str(tiny_model), root / "fp32", quantize=False), export(str(tiny_model), root / "int8")


def test_export_matches_the_model_it_came_from(tiny_model: Path, exported: tuple[Path, Path]) -> None:
    fp32, int8 = exported
    assert is_onnx_model(str(int8)) and not is_onnx_model(str(tiny_model))
    ref = Embedder(str(tiny_model))
    for folder, floor in ((fp32, 0.9999), (int8, 0.95)):
        emb = load_embedder(str(folder))
        assert isinstance(emb, OnnxEmbedder) and emb.dim == ref.dim
        got, want = emb.passages(TEXTS), ref.passages(TEXTS)  # batches sorted by length inside
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert (got * want).sum(axis=1).min() > floor
        q = emb.query(TEXTS[0])
        assert float(q @ ref.query(TEXTS[0])) > floor
        assert float(q @ got[0]) != pytest.approx(1.0, abs=1e-4)  # the query prompt was applied


def test_onnx_model_serves_without_torch(exported: tuple[Path, Path], tmp_path: Path) -> None:
    _, int8 = exported
    build([SAMPLE], tmp_path / "index", str(int8))
    assert load(tmp_path / "index").model == str(int8)
    code = ("import sys; from pathlib import Path; from index.answer import Engine; from index.generation import load; "
            "from index.vectors import load_embedder; "
            f"g = load(Path({str(tmp_path / 'index')!r})); e = Engine(g, load_embedder(g.model)); "
            "a = e.answer('Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?'); "
            "print(a.answered, 'torch' in sys.modules)")
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": root})
    assert out.stdout.split() == ["True", "False"]
