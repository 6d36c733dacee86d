"""The CLI's view of INDEX_BACKEND: `python -m index info` (the live generation, and the
backend and collection that serve it), and the Qdrant push after `build`, `update` and
`sync` (`index.backends.serve.push_live`)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import store
from .settings import IndexSettings


def _settings(index_dir: str | Path) -> IndexSettings:
    return replace(IndexSettings.from_env(), index_dir=Path(index_dir))


def push_after(args: argparse.Namespace) -> int:
    """With INDEX_BACKEND=qdrant, make the collection serve the generation just published;
    the exit status: 1 when it failed (the generation is kept, the collection still serves
    the one before: `python -m index.backends push` retries)."""
    from .backends.serve import push_if_qdrant

    try:
        done = push_if_qdrant(_settings(args.index_dir))
    except (store.IndexUnavailable, store.BuildLocked, ValueError, OSError) as exc:
        print(f"qdrant push failed: {exc}", file=sys.stderr)
        return 1
    if done is not None and not args.json:
        print(f"qdrant: {done}")
    return 0


def _backend_info(index_dir: Path) -> dict[str, Any]:
    from .backends.serve import describe

    return describe(_settings(index_dir))


def cmd_info(args: argparse.Namespace) -> int:
    from .confidence import choose

    index_dir = Path(args.index_dir)
    try:
        gen = store.current_path(index_dir)
        if gen is None:
            raise store.IndexUnavailable(f"{index_dir}: no index yet")
        m = store.read_manifest(gen, verify=True)
    except store.IndexUnavailable as exc:
        print(f"index unavailable: {exc}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in gen.rglob("*") if p.is_file())
    delta = m.get("delta") if isinstance(m.get("delta"), dict) else None
    live = int(m["articles"]) - (int(delta["dead"]) if delta else 0)  # type: ignore[call-overload, index]
    info = {"generation": gen.name, "articles": live, "chunks": m["chunks"], "model": m.get("model"),
            "delta": delta, "base_built_at": m.get("base_built_at", m.get("built_at")),
            "dim": m.get("dim"), "built_at": m.get("built_at"), "format_version": m["format_version"],
            "package_version": m.get("package_version"), "bytes": size,
            "calibration": choose(gen, str(m["model"]) if m.get("model") else None).source,
            "tuning_version": tuning.get("version") if isinstance(tuning := m.get("tuning"), dict) else None,
            "topics": m.get("topics", {})}
    try:
        info.update(_backend_info(index_dir))
    except store.IndexUnavailable as exc:
        print(f"index unavailable: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    for k, v in info.items():
        if k != "topics":
            print(f"{k}: {v}")
    print("topics:")
    for name, n in dict(info["topics"]).items():  # type: ignore[call-overload]
        print(f"  {name}: {n}")
    return 0
