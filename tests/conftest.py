from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
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
    for var in ("INDEX_DIR", "ARTICLES_DIR", "EMBEDDING_MODEL", "RERANKER_MODEL", "TELEGRAM_BOT_TOKEN", "ADMIN_USER_IDS",
                "TELEGRAM_API_BASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "FEEDBACK_FILE",
                "QUESTION_LOG", "QUESTION_LOG_FILE", "QUESTION_LOG_DAYS", "QUESTION_LOG_SECRET",
                "FETCH_DELAY", "FETCH_USER_AGENT", "FETCH_HOSTS", "FETCH_TIMEOUT", "FETCH_RECENT_DAYS",
                "FETCH_RECHECK_DAYS", "ALERTS_DB", "INLINE_DELAY", "INLINE_CACHE_TIME", "SOURCES", "SYNC_MINUTES",
                "HOIBAO_TODAY", "INDEX_BACKEND", "QDRANT_PATH", "QDRANT_URL", "QDRANT_API_KEY", "QDRANT_ALIAS",
                "QDRANT_STATS_DIR", "QDRANT_SHARDS", "QDRANT_REPLICAS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


# Bot API tokens look like 123456789:AA…; any such string in a log line is a leak.
TOKEN_PATTERN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}")
SECRETS = ("s3cret-token_for-tests", "AAFakeTokenForTestsOnly", "AAWebhookTestsToken", "AAHandlerTestsToken")
LOG_LINES_CHECKED = [0]
LEAKS = [0]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # message and any traceback with its exception text


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line() -> Iterator[None]:
    """Every test runs with the root logger at DEBUG; no line may carry a token or secret."""
    root = logging.getLogger()
    capture, level = _Capture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    LOG_LINES_CHECKED[0] += len(capture.lines)
    leaks = [line for line in capture.lines if TOKEN_PATTERN.search(line) or any(s in line for s in SECRETS)]
    LEAKS[0] += len(leaks)
    assert not leaks, f"secret in a log line: {leaks[0][:300]}"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real sentence-transformers model trained (tokenizer only) on our fixtures."""
    from tests.tiny_model import build_tiny_model

    texts = [p.read_text(encoding="utf-8") for p in list(ARTICLES.glob("a*.txt")) + list(SAMPLE.glob("*.txt"))]
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    return build_tiny_model(texts * 3, tmp_path_factory.mktemp("model") / "tiny")
