from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

# PTB 22 warns unless the future timedelta behaviour is chosen; the bot opts in too.
os.environ.setdefault("PTB_TIMEDELTA", "1")



def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", default=False, help="full-size reliability runs")


DATA = Path(__file__).parent / "data"
ARTICLES = DATA / "articles"
SAMPLE = Path(__file__).parent.parent / "data" / "sample"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or shared folders by accident."""
    for var in ("INDEX_DIR", "ARTICLES_DIR", "EMBEDDING_MODEL", "TELEGRAM_BOT_TOKEN", "ADMIN_USER_IDS",
                "TELEGRAM_API_BASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real sentence-transformers model trained (tokenizer only) on our fixtures."""
    from tests.tiny_model import build_tiny_model

    texts = [p.read_text(encoding="utf-8") for p in list(ARTICLES.glob("a*.txt")) + list(SAMPLE.glob("*.txt"))]
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    return build_tiny_model(texts * 3, tmp_path_factory.mktemp("model") / "tiny")
