"""`python -m bot --console`: the bot's own handlers, answering in a terminal.

The console is one more `Out` (bot/handlers/common.py): the handlers' logic decides
small talk, answers, refusals, /topic, /moi and /start exactly as in a chat, and
the console prints what the chat would have received. The buttons of the last
reply become commands — /more, /next, /prev, and /1, /2 … for the others — so
paging is pressing the button the bot sent, never a guess of the console's."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from telegram import InlineKeyboardMarkup

from bot import questionlog
from bot.buttons import NEXT, PREV, Ask, More, NewsPage, Pressable, TopicPage
from bot.context import BotData
from bot.handlers.admin import welcome
from bot.handlers.ask import HOI_USAGE, answer_question
from bot.handlers.news import show_news, turn_news
from bot.handlers.topic import show_topic, turn_topic
from bot.service import IndexService
from bot.settings import BotSettings

PROMPT = "❓ "
_TAGS = re.compile(r"<[^>]+>")
HELP = ("Gõ câu hỏi. Lệnh: /start (gợi ý), /topic [chủ đề], /moi [chủ đề], /hoi <câu hỏi>, /quit.\n"
        "Nút dưới câu trả lời cuối: /more (xem thêm), /next, /prev (trang), /1, /2 … (các nút khác).")
NOTHING = {"/more": "Không có gì để xem thêm: hãy hỏi một câu trước.",
           "/next": "Không có trang tiếp theo để xem.",
           "/prev": "Không có trang trước để xem."}


def plain(html_text: str) -> str:
    """Telegram HTML as terminal text: bold in asterisks, quotes with a bar."""
    text = re.sub(r"</?b>", "*", html_text)
    text = re.sub(r"<blockquote[^>]*>(.*?)</blockquote>",
                  lambda m: "\n".join("│ " + ln for ln in m.group(1).split("\n")), text, flags=re.S)
    text = re.sub(r'<a href="([^"]+)">(.*?)</a>', r"\2 (\1)", _TAGS.sub(_keep_links, text))
    return html.unescape(text)


def _keep_links(m: re.Match[str]) -> str:
    tag = m.group()
    return tag if tag.startswith("<a ") or tag == "</a>" else ""


class ConsoleOut:
    """What a chat would receive, printed; the last reply's buttons kept under their commands."""

    where = "console"  # the question log's chat type
    asker = None  # one terminal, no reader to tell apart

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: dict[str, Pressable] = {}

    def say(self, html_text: str) -> None:
        self.out.write(plain(html_text) + "\n\n")
        self.out.flush()

    async def send(self, texts: Sequence[str], markup: InlineKeyboardMarkup | None = None) -> None:
        for text in texts:
            self.say(text)
        self._keep(markup)

    async def page(self, text: str, markup: InlineKeyboardMarkup | None, head: str) -> None:
        await self.send([text], markup)

    async def typing(self) -> None:
        return  # the terminal waits visibly anyway

    async def notice(self, text: str | None = None) -> None:
        if text:
            self.say(text)

    def _keep(self, markup: InlineKeyboardMarkup | None) -> None:
        """A new reply's buttons replace the last ones, a line a row; 👍/👎 need a reader, so not here."""
        self.buttons, lines = {}, []
        for row in markup.inline_keyboard if markup else ():
            labels = [f"{self._command(b.text, b.callback_data)} {b.text}" for b in row
                      if isinstance(b.callback_data, Ask | More | TopicPage | NewsPage)]
            lines += ["  ·  ".join(labels)] if labels else []
        if lines:
            self.say(html.escape("\n".join(lines)))

    def _command(self, label: str, data: Pressable) -> str:
        command = "/more" if isinstance(data, More) else {NEXT: "/next", PREV: "/prev"}.get(label, "")
        command = command or f"/{sum(c[1:].isdigit() for c in self.buttons) + 1}"
        self.buttons[command] = data
        return command


class Console:
    def __init__(self, data: BotData, out: TextIO = sys.stdout) -> None:
        self.data = data
        self.out = ConsoleOut(out)

    async def handle(self, line: str) -> bool:
        """One input line; False to quit."""
        line = line.strip()
        if line in ("/quit", "/exit", "q"):
            return False
        command, _, rest = line.partition(" ")
        if line and not line.startswith("/"):
            await answer_question(self.out, self.data, line)
        elif command in ("/help", "/start", "/topic", "/moi", "/hoi"):
            await self.command(command, rest.strip())
        elif command in self.out.buttons:
            await self.press(self.out.buttons[command])
        elif line:
            self.out.say(NOTHING.get(command, "Không có lệnh hay nút này. /help để xem lệnh."))
        return True

    async def command(self, command: str, arg: str) -> None:
        if command == "/help":
            self.out.say(html.escape(HELP))
        elif command == "/start":
            await welcome(self.out, self.data)
        elif command == "/topic":
            await show_topic(self.out, self.data, arg)
        elif command == "/moi":
            await show_news(self.out, self.data, arg)
        elif arg:
            await answer_question(self.out, self.data, arg)
        else:
            self.out.say(HOI_USAGE)

    async def press(self, data: Pressable) -> None:
        """What the bot's callback handlers do for the same button."""
        match data:
            case Ask(question):
                await answer_question(self.out, self.data, question)
            case More(question, offset):
                await answer_question(self.out, self.data, question, offset)
            case TopicPage():
                await turn_topic(self.out, self.data, data)
            case NewsPage():
                await turn_news(self.out, self.data, data)


def run_console(svc: IndexService, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
                qlog: questionlog.QuestionLog | None = None, settings: BotSettings | None = None) -> None:
    settings = settings or BotSettings(token=None, admin_ids=frozenset(), index=svc.settings)
    con = Console(BotData().fill(svc, settings, qlog), out)
    out.write("Hỏi Báo — chế độ dòng lệnh. Gõ câu hỏi, /help để xem lệnh, /quit để thoát.\n")
    if svc.engine is None:
        out.write(f"Chỉ mục chưa sẵn sàng: {svc.error}\n")
    with asyncio.Runner() as runner:  # one loop for the session; input is read between its runs
        while True:
            out.write(PROMPT)
            out.flush()
            line = stdin.readline()
            if not line or not runner.run(con.handle(line)):
                break
