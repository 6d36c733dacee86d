"""`python -m index fetch --source URL ... --articles-dir DIR [--max N] [--json]`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .fetcher import fetch_sources
from .settings import FetchSettings
from .summary import FetchSummary


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `fetch` command on `python -m index`'s subparsers."""
    f = subparsers.add_parser("fetch", help="fetch new and changed articles from feeds and sitemaps")
    f.add_argument("--source", action="append", required=True, help="an RSS/Atom feed or sitemap URL; repeatable")
    f.add_argument("--articles-dir", required=True, help="where article files and the fetch state live")
    f.add_argument("--max", type=int, default=None, help="fetch at most N article pages this run")
    f.add_argument("--json", action="store_true")
    f.set_defaults(fn=cmd_fetch)
    return f


def _progress_bar() -> tuple[Callable[[int, int], None], Callable[[], None]]:
    from tqdm import tqdm

    bar = tqdm(total=0, desc="articles", unit="page", file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return progress, bar.close


def _human(summary: FetchSummary) -> str:
    lines = [f"sources {len(summary.sources)}, links seen {summary.seen}: new {summary.new}, "
             f"updated {summary.updated}, unchanged {summary.unchanged}, removed {summary.removed} "
             f"({summary.seconds:.1f} s)"]
    for url, result in summary.per_source.items():
        state = f"error: {result.error}" if result.error else "ok"
        lines.append(f"  {url}: new {result.new}, updated {result.updated}, removed {result.removed} — {state}")
    if summary.skipped:
        lines.append(f"skipped {len(summary.skipped)}:")
        lines.extend(f"  {s['url']}: {s['reason']}" for s in summary.skipped)
    return "\n".join(lines) + "\n"


def cmd_fetch(args: argparse.Namespace) -> int:
    try:
        settings = FetchSettings.from_env()
    except ValueError as exc:
        sys.stderr.write(f"fetch: {exc}\n")
        return 2
    progress, close = (None, None) if args.json else _progress_bar()
    try:
        summary = fetch_sources(args.source, Path(args.articles_dir), settings, args.max, progress)
    except OSError as exc:
        sys.stderr.write(f"fetch failed: {exc}\n")
        return 1
    finally:
        if close:
            close()
    if args.json:
        sys.stdout.write(json.dumps(summary.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_human(summary))
    return 0
