"""`python -m index.backends push --index-dir DIR`: bring the Qdrant collection up to the
live generation of DIR — nothing if it already serves it, the delta's articles if only a
delta was added to the base it was built from, else a full build and switch.

The sync worker runs it after each `python -m index sync`; it is the only writer. With
QDRANT_URL it writes to the server or cluster; with QDRANT_PATH to the in-process shard,
which no serving process may have open meanwhile (edge shards are single-process).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..generation import Generation, load
from ..store import IndexUnavailable
from .qdrant import DEFAULT_ALIAS, QdrantBackend, open_edge, open_server
from .qdrant_build import build_edge, build_server, sync

log = logging.getLogger("index.backends")


def push(gen: Generation, current: QdrantBackend | None, full: Callable[[], object]) -> str:
    """What was done: "unchanged", "sync" or "build"."""
    if current is not None and current.stats.meta.get("generation") == gen.name:
        return "unchanged"
    if current is not None and gen.base is not None and current.stats.meta.get("base_key") == gen.base.key:
        up, gone = sync(current, gen)
        log.info("synced %s: %d points upserted, %d deleted", gen.name, up, gone)
        return "sync"
    full()
    return "build"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index.backends")
    sub = p.add_subparsers(dest="cmd", required=True)
    pu = sub.add_parser("push", help="bring the Qdrant collection up to the live generation")
    pu.add_argument("--index-dir", type=Path, default=Path(os.environ.get("INDEX_DIR", "var/index")))
    pu.add_argument("--shards", type=int, default=int(os.environ.get("QDRANT_SHARDS", "3")))
    pu.add_argument("--replicas", type=int, default=int(os.environ.get("QDRANT_REPLICAS", "2")))
    args = p.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    gen = load(args.index_dir)
    current: QdrantBackend | None = None
    if os.environ.get("QDRANT_PATH"):
        root = Path(os.environ["QDRANT_PATH"])
        try:
            current = open_edge(root)
        except IndexUnavailable as exc:
            log.info("no usable collection (%s): building", exc)
        done = push(gen, current, lambda: build_edge(gen, root))
    elif os.environ.get("QDRANT_URL"):
        from qdrant_client import QdrantClient

        client = QdrantClient(url=os.environ["QDRANT_URL"], api_key=os.environ.get("QDRANT_API_KEY") or None)
        stats_dir = Path(os.environ.get("QDRANT_STATS_DIR", "qdrant-stats"))
        alias = os.environ.get("QDRANT_ALIAS", DEFAULT_ALIAS)
        try:
            current = open_server(client, stats_dir, alias)
        except IndexUnavailable as exc:
            log.info("no usable collection (%s): building", exc)
        done = push(gen, current, lambda: build_server(gen, client, stats_dir, alias, args.shards, args.replicas))
    else:
        p.error("set QDRANT_PATH (in-process shard) or QDRANT_URL (server or cluster)")
    if current is not None:
        current.close()
    log.info("qdrant push of %s: %s", gen.name, done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
