"""Compatibility: the answer engine lives in `engine.py` (question → Answer), `quote.py`
(quote choice, bold) and `confidence.py` (answer or refuse); the bot and older callers
import these names from here."""

from __future__ import annotations

from .engine import Answer, Engine, Hit
from .tuning import DEFAULT, E5_SMALL_CALIBRATION, LEXICAL_CALIBRATION, Calibration

MAX_QUOTE = DEFAULT.max_quote
DENSE_CALIBRATION = E5_SMALL_CALIBRATION

__all__ = ["DENSE_CALIBRATION", "LEXICAL_CALIBRATION", "MAX_QUOTE", "Answer", "Calibration", "Engine", "Hit"]
