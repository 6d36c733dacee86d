"""Confidence per model: the fit a generation carries, the fallback when it has none,
and `python -m index calibrate` publishing one that updates and rebuilds keep."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index import layout, store
from index.backends.embedded import EmbeddedBackend
from index.build import build
from index.calibrate import run, without
from index.confidence import choose, known_model
from index.engine import Engine
from index.generation import load
from index.tuning import E5_SMALL_CALIBRATION, E5_SMALL_INT8_CALIBRATION, LEXICAL_CALIBRATION, Tuning
from index.update import update
from index.vectors import Embedder
from tests.conftest import SAMPLE

ROOT = Path(__file__).parent.parent
DATED = ROOT / "tests" / "data" / "dated"


def test_known_models_and_the_lexical_fallback(tmp_path: Path) -> None:
    assert known_model("intfloat/multilingual-e5-small") and known_model("/srv/models/e5-small/")
    assert not known_model("/srv/models/e5-small-int8") and not known_model("other/model")
    assert choose(tmp_path, None).calibration == LEXICAL_CALIBRATION
    assert choose(tmp_path, "/x/e5-small").calibration == E5_SMALL_CALIBRATION
    other = choose(tmp_path, "/x/e5-small-int8")
    assert other.fallback and other.calibration == LEXICAL_CALIBRATION and "LEXICAL FALLBACK" in other.source
    (tmp_path / layout.CALIBRATION).write_text(json.dumps({"model": "/x/e5-small-int8", "dense": {
        **E5_SMALL_CALIBRATION.to_json(), "cosine": 12.0}}), encoding="utf-8")
    own = choose(tmp_path, "/x/e5-small-int8")
    assert not own.fallback and own.calibration.cosine == 12.0
    assert choose(tmp_path, "/x/another").fallback  # a fit for another model is not used


def test_the_int8_export_of_e5_small_has_its_own_fit(tmp_path: Path) -> None:
    onnx = tmp_path / "var" / "e5-int8"
    onnx.mkdir(parents=True)
    (onnx / "hoibao-onnx.json").write_text(json.dumps({"source": "/srv/e5-small", "quantized": True}), "utf-8")
    got = choose(tmp_path, str(onnx))
    assert got.calibration == E5_SMALL_INT8_CALIBRATION and not got.fallback and "int8" in got.source
    (onnx / "hoibao-onnx.json").write_text(json.dumps({"source": "/srv/other", "quantized": True}), "utf-8")
    assert choose(tmp_path, str(onnx)).fallback  # an export of another model is another model


def test_tuning_overrides_are_checked() -> None:
    t = Tuning().with_overrides({"pool": 50, "dense_calibration": {"threshold": 0.3}})
    assert t.pool == 50 and t.dense_calibration.threshold == 0.3 and t.dense_calibration.cosine == 31.65
    with pytest.raises(ValueError, match="unknown"):
        Tuning().with_overrides({"pools": 1})
    with pytest.raises(ValueError, match="integer"):
        Tuning().with_overrides({"pool": 2.5})
    assert Tuning.from_json(Tuning().to_json()) == Tuning()


def test_removing_an_article_hides_it_from_every_retriever(tmp_path: Path) -> None:
    build([SAMPLE], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    eng = Engine(gen)
    question = "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?"
    top = eng.answer(question).hits[0].article_id
    number = next(i for i, a in enumerate(gen.articles) if a.id == top)
    eng.gen = eng.retriever.gen = without(gen, number)
    eng.retriever.backend = EmbeddedBackend(eng.gen)  # what calibrate does too
    assert all(h.article_id != top for h in eng.answer(question, k=10).hits)


@pytest.mark.slow
def test_calibrate_publishes_a_fit_that_updates_and_rebuilds_keep(tmp_path: Path, tiny_model: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(DATED, articles, ignore=shutil.ignore_patterns("*.jsonl"))
    idx, model = tmp_path / "idx", str(tiny_model)
    emb = Embedder(model)
    build([articles], idx, model, embedder=emb)
    with caplog.at_level(logging.WARNING):
        eng = Engine(load(idx, model=model), emb)
    assert eng.choice.fallback and "LEXICAL FALLBACK" in caplog.text  # the tiny model has no fit: said, not silent
    record = run(eng, DATED / "qa.jsonl", idx)
    assert record["model"] == model and set(record["dense"]) == {"bias", "passage_bigrams", "article_bigrams",
                                                                  "cosine", "threshold"}
    assert 0 <= record["cv"]["answered"] <= 1 and record["samples"]["asked"] > 0
    gen = load(idx, model=model)  # the new generation verifies, calibration.json listed
    assert gen.name == record["generation"] and layout.CALIBRATION in gen.manifest["files"]  # type: ignore[operator]
    assert Engine(gen, emb).choice.source.startswith("fitted for")
    fitted = json.loads((gen.path / layout.CALIBRATION).read_text(encoding="utf-8"))
    # an update hard-links it into the next generation; a rebuild with the same model keeps it
    (articles / "new.txt").write_text("Tin mới\n\nCầu Cửa Hội đã thông xe vào ngày 2/9/2026.", encoding="utf-8")
    assert update([articles], idx, model, embedder=emb).mode == "delta"
    assert layout.CALIBRATION in load(idx, model=model).manifest["files"]  # type: ignore[operator]
    build([articles], idx, model, embedder=emb)
    live = store.current_path(idx)
    assert live is not None and json.loads((live / layout.CALIBRATION).read_text(encoding="utf-8")) == fitted
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    info = subprocess.run([sys.executable, "-m", "index", "info", "--index-dir", str(idx), "--json"], env=env,
                          capture_output=True, timeout=120, check=True)
    assert json.loads(info.stdout)["calibration"].startswith("fitted for")
