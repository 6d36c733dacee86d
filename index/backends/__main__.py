"""`python -m index.backends push`: bring the Qdrant collection up to the live generation
of INDEX_DIR — nothing if it already serves it, the delta's articles if only a delta was
added to the base it was built from, else a full build and switch (`serve.push_live`).

`python -m index build | update | sync` run it themselves when INDEX_BACKEND=qdrant; this
entry point is for the sync worker of a cluster, or to retry a push that failed. With
QDRANT_URL it writes to the server or cluster; with QDRANT_PATH to the in-process shard,
which no serving process may have open meanwhile (edge shards are single-process).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from pathlib import Path

from ..settings import IndexSettings, load_dotenv
from ..store import IndexUnavailable
from .serve import push_live

log = logging.getLogger("index.backends")


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    env = IndexSettings.from_env()
    p = argparse.ArgumentParser(prog="python -m index.backends")
    sub = p.add_subparsers(dest="cmd", required=True)
    pu = sub.add_parser("push", help="bring the Qdrant collection up to the live generation")
    pu.add_argument("--index-dir", type=Path, default=env.index_dir)
    args = p.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    if env.qdrant.path is None and not env.qdrant.url:
        p.error("set QDRANT_PATH (in-process shard) or QDRANT_URL (server or cluster)")
    try:
        done = push_live(dataclasses.replace(env, index_dir=args.index_dir, backend="qdrant"))
    except IndexUnavailable as exc:
        log.error("push failed: %s", exc)
        return 1
    log.info("qdrant push: %s", done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
