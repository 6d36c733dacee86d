"""Settings read from the environment (and a `.env` file), one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .vectors import DEFAULT_MODEL


def load_dotenv(path: Path = Path(".env")) -> None:
    """Fill os.environ from KEY=VALUE lines; variables already set win."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key.strip(), value)


@dataclass(frozen=True, slots=True)
class IndexSettings:
    index_dir: Path
    articles_dir: Path
    embedding_model: str | None  # None: BM25 only

    @classmethod
    def from_env(cls) -> IndexSettings:
        model = os.environ.get("EMBEDDING_MODEL", DEFAULT_MODEL).strip()
        return cls(index_dir=Path(os.environ.get("INDEX_DIR", "var/index")),
                   articles_dir=Path(os.environ.get("ARTICLES_DIR", "data/sample")),
                   embedding_model=None if model.lower() in ("", "none", "off") else model)
