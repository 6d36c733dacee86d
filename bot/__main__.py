"""`python -m bot [--console]`: the Telegram bot, or the same answers in a terminal."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from index.settings import load_dotenv

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22's future retry_after type, before it is imported
    from bot.settings import BotSettings

    p = argparse.ArgumentParser(prog="python -m bot", description="Hỏi Báo Telegram bot")
    p.add_argument("--console", action="store_true", help="answer questions typed in this terminal")
    args = p.parse_args(argv)
    settings = BotSettings.from_env()
    from bot.app import setup_logging

    setup_logging(settings)
    from bot.service import IndexService

    svc = IndexService(settings.index)
    if not args.console and not settings.token:
        print("TELEGRAM_BOT_TOKEN is not set: starting the console instead.\n"
              "To run in Telegram, copy .env.example to .env and put the token from @BotFather there.",
              file=sys.stderr)
        args.console = True
    svc.load()
    if args.console:
        from bot.console import run_console

        run_console(svc)
        return 0
    from bot.app import run

    run(settings, svc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
