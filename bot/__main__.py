"""`python -m bot [--console]`: the Telegram bot, or the same answers in a terminal;
`python -m bot report`: the newsroom's report from the question log."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from index.settings import load_dotenv

if TYPE_CHECKING:  # imported late at run time: PTB_TIMEDELTA must be set first
    from bot.service import IndexService

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22's future retry_after type, before it is imported
    from bot.settings import BotSettings

    p = argparse.ArgumentParser(prog="python -m bot", description="Hỏi Báo Telegram bot")
    p.add_argument("--console", action="store_true", help="answer questions typed in this terminal")
    sub = p.add_subparsers(dest="command")
    rp = sub.add_parser("report", help="write report.html and PNG charts from the question log")
    rp.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD); default: the whole log")
    rp.add_argument("--out", type=Path, default=Path("var/report"), help="output folder (default var/report)")
    rp.add_argument("--log", type=Path, help="question log file (default QUESTION_LOG_FILE)")
    args = p.parse_args(argv)
    settings = BotSettings.from_env()
    from bot.app import setup_logging

    setup_logging(settings)
    from bot.service import IndexService

    svc = IndexService(settings.index)
    if args.command == "report":
        return _report(args, settings.question_log_file, svc)
    if not args.console and not settings.token:
        print("TELEGRAM_BOT_TOKEN is not set: starting the console instead.\n"
              "To run in Telegram, copy .env.example to .env and put the token from @BotFather there.",
              file=sys.stderr)
        args.console = True
    svc.load()
    if args.console:
        from bot.console import run_console
        from bot.questionlog import open_log

        run_console(svc, qlog=open_log(settings.question_log_file, settings.question_log_secret,
                                       settings.feedback_file), settings=settings)
        return 0
    from bot.app import run

    run(settings, svc)
    return 0


def _report(args: argparse.Namespace, default_log: Path | None, svc: IndexService) -> int:
    from bot.report import build, write

    path: Path | None = args.log or default_log
    if path is None or not path.is_file():
        print(f"No question log at {path or '(QUESTION_LOG=off)'}: nothing to report.", file=sys.stderr)
        return 1
    svc.load()  # for each cluster's closest article; the report is still written without an index
    rep = build(path, args.since, engine=svc.engine)
    for written in write(rep, args.out):
        print(written)
    print(f"{rep.period}: {rep.questions} questions, {rep.answered} answered, 👍 {rep.up} 👎 {rep.down}")
    for i, c in enumerate(rep.clusters[:10], 1):
        near = f" → {c.closest.title}" if c.closest else ""
        print(f"{i:2}. {c.size:4}× " + " | ".join(c.examples) + near)
    return 0


if __name__ == "__main__":
    sys.exit(main())
