"""Answer or refuse: which calibration a generation's answers use, and why.

A calibration belongs to an embedding model (its cosines mean nothing to another), so a
generation carries the one fitted for its model (`calibration.json`, written by
`python -m index calibrate`, carried over by updates and same-model rebuilds). Without
one, multilingual-e5-small and its int8 export use the fits in `Tuning`, and any other model falls
back to the lexical fit — said in `python -m index info` and in a logged warning, never
silently miscalibrated.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from . import layout
from .tuning import DEFAULT, LEXICAL_CALIBRATION, Calibration, Tuning

log = logging.getLogger(__name__)

__all__ = ["LEXICAL_CALIBRATION", "Calibration", "Choice", "choose", "known_int8_export", "known_model",
           "read_calibration"]


@dataclass(frozen=True, slots=True)
class Choice:
    calibration: Calibration  # what questions answered with vectors are judged by
    source: str  # said by `info`: where it comes from
    fallback: bool = False  # the model has no fit: the lexical one stands in


def known_model(model: str, tuning: Tuning = DEFAULT) -> bool:
    """Is `model` (a hub id or a folder) the model `tuning.dense_calibration` was fitted for?"""
    name = model.rstrip("/")
    return name in tuning.dense_calibration_models or name.rsplit("/", 1)[-1] in tuning.dense_calibration_models


def known_int8_export(model: str, tuning: Tuning = DEFAULT) -> bool:
    """Is `model` an int8 ONNX export (`python -m index export-onnx`) of that model? Its
    marker file names what it was exported from."""
    from .onnx_embed import MARKER

    try:
        meta = json.loads((Path(model) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("quantized") is True and known_model(str(meta.get("source", "")), tuning)


def read_calibration(gen_path: Path, model: str | None) -> Calibration | None:
    """The generation's own fit, when it has one for `model`."""
    path = gen_path / layout.CALIBRATION
    if model is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("model") != model:
            log.warning("%s was fitted for %s, not %s: ignored", path, data.get("model"), model)
            return None
        return Calibration.from_json(data["dense"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s not usable: %s", path, exc)
        return None


def choose(gen_path: Path, model: str | None, tuning: Tuning = DEFAULT) -> Choice:
    """The calibration for answers found with `model`'s vectors in this generation."""
    if model is None:
        return Choice(tuning.lexical_calibration, "lexical (BM25-only index)")
    own = read_calibration(gen_path, model)
    if own is not None:
        return Choice(own, f"fitted for {model} ({layout.CALIBRATION})")
    name = tuning.dense_calibration_models[0]
    if known_int8_export(model, tuning):
        return Choice(tuning.int8_calibration, f"built-in fit for the int8 export of {name}")
    if known_model(model, tuning):
        return Choice(tuning.dense_calibration, f"built-in fit for {name}")
    return Choice(tuning.lexical_calibration, f"LEXICAL FALLBACK: no calibration for model {model}; "
                  "run `python -m index calibrate`", fallback=True)
