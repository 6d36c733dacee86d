"""Settings read from the environment (and a `.env` file), one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .vectors import DEFAULT_MODEL

BACKENDS = ("embedded", "qdrant")


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
class QdrantSettings:
    """Where INDEX_BACKEND=qdrant finds its collection (docs/scale-out.md)."""

    path: Path | None = None  # QDRANT_PATH: an embedded shard on disk, in this process
    url: str | None = None  # QDRANT_URL: a server or cluster (when no path is set)
    api_key: str | None = None  # QDRANT_API_KEY
    alias: str = "hoibao"  # QDRANT_ALIAS: the alias a build switches
    stats_dir: Path | None = None  # QDRANT_STATS_DIR: BM25 statistics per collection (default <INDEX_DIR>/qdrant-stats)
    shards: int = 3  # QDRANT_SHARDS, QDRANT_REPLICAS: of a new collection on a cluster
    replicas: int = 2

    @classmethod
    def from_env(cls, index_dir: Path) -> QdrantSettings:
        env = os.environ
        return cls(path=Path(env["QDRANT_PATH"]) if env.get("QDRANT_PATH") else None,
                   url=env.get("QDRANT_URL") or None, api_key=env.get("QDRANT_API_KEY") or None,
                   alias=env.get("QDRANT_ALIAS") or "hoibao",
                   stats_dir=Path(env.get("QDRANT_STATS_DIR") or index_dir / "qdrant-stats"),
                   shards=int(env.get("QDRANT_SHARDS") or 3), replicas=int(env.get("QDRANT_REPLICAS") or 2))


@dataclass(frozen=True, slots=True)
class IndexSettings:
    index_dir: Path
    articles_dir: Path
    embedding_model: str | None  # None: BM25 only
    backend: str = "embedded"  # INDEX_BACKEND: "embedded" (the generation's files) or "qdrant"
    qdrant: QdrantSettings = QdrantSettings()

    @classmethod
    def from_env(cls) -> IndexSettings:
        model = os.environ.get("EMBEDDING_MODEL", DEFAULT_MODEL).strip()
        index_dir = Path(os.environ.get("INDEX_DIR", "var/index"))
        backend = (os.environ.get("INDEX_BACKEND") or "embedded").strip().lower()
        if backend not in BACKENDS:
            raise ValueError(f"INDEX_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}")
        return cls(index_dir=index_dir, articles_dir=Path(os.environ.get("ARTICLES_DIR", "data/sample")),
                   embedding_model=None if model.lower() in ("", "none", "off") else model,
                   backend=backend, qdrant=QdrantSettings.from_env(index_dir))
