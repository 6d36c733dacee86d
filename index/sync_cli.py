"""`python -m index update` and `python -m index sync`: the incremental paths."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import store
from .backend_cli import push_after
from .build import BuildSummary
from .vectors import ModelError


def add_parsers(sub: Any, common: Any, env: Any) -> None:
    u = sub.add_parser("update", help="bring the index up to date with the articles (only what changed)")
    u.add_argument("--articles", nargs="+", default=[str(env.articles_dir)], help="default: $ARTICLES_DIR")
    common(u)
    u.set_defaults(fn=cmd_update)
    s = sub.add_parser("sync", help="fetch the sources, then update the index")
    s.add_argument("--source", action="append", required=True, help="feed or sitemap URL (repeatable)")
    s.add_argument("--articles-dir", default=str(env.articles_dir), help="default: $ARTICLES_DIR")
    s.add_argument("--max", type=int, default=None, help="at most N new articles this run")
    common(s)
    s.set_defaults(fn=cmd_sync)


def _model(args: argparse.Namespace) -> str | None:
    return None if args.no_vectors else args.model


def _print_index(s: BuildSummary) -> None:
    print(f"index: {s.mode}, generation {s.generation}: {s.articles} articles "
          f"(+{s.upserted} new or changed, -{s.removed} removed), {s.embedded} passages embedded")
    for sk in s.skipped:
        print(f"  skipped {sk['source']}: {sk['reason']}")


def cmd_update(args: argparse.Namespace) -> int:
    from .update import update

    try:
        summary = update(args.articles, Path(args.index_dir), _model(args))
    except (ModelError, store.BuildLocked, ValueError, OSError) as exc:
        print(f"update failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        _print_index(summary)
    return push_after(args)


def cmd_sync(args: argparse.Namespace) -> int:
    from .fetch.cli import _human, _progress_bar
    from .sync import sync

    progress, close = (None, None) if args.json else _progress_bar()
    try:
        result = sync(args.source, Path(args.articles_dir), Path(args.index_dir), _model(args),
                      max_articles=args.max,
                      progress=(lambda phase, d, t: progress(d, t) if phase == "fetch" else None) if progress
                      else (lambda phase, d, t: None))
    except (ModelError, store.BuildLocked, ValueError, OSError) as exc:
        print(f"sync failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if close:
            close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return push_after(args)
    print(_human(result.fetch), end="")
    _print_index(result.index)
    print(f"indexed in {result.indexed_seconds:.1f} s")
    return push_after(args)
