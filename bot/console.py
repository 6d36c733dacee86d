"""`python -m bot --console`: the same answers, topics and paging in a terminal."""

from __future__ import annotations

import html
import re
import sys
import time
from typing import TextIO

from bot import questionlog, render, smalltalk, topics
from bot.service import IndexService

PROMPT = "❓ "
_TAGS = re.compile(r"<[^>]+>")


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


class Console:
    def __init__(self, svc: IndexService, out: TextIO = sys.stdout,
                 qlog: questionlog.QuestionLog | None = None) -> None:
        self.svc = svc
        self.qlog = qlog
        self.out = out
        self.last_question: str | None = None
        self.offset = 0
        self.topic: str | None = None
        self.page = 0

    def say(self, html_text: str) -> None:
        self.out.write(plain(html_text) + "\n\n")
        self.out.flush()

    def handle(self, line: str) -> bool:
        """One input line; False to quit."""
        line = line.strip()
        if line in ("/quit", "/exit", "q"):
            return False
        if not line:
            return True
        if line == "/help":
            self.say("Gõ câu hỏi. Lệnh: /more (xem thêm), /topic [chủ đề], /next, /prev (trang chủ đề), /quit")
        elif line == "/more":
            if self.last_question is None:
                self.say("Chưa có câu hỏi nào.")
            else:
                self.offset += 3
                self.ask(self.last_question, self.offset)
        elif line.startswith("/topic"):
            self.show_topic(line.removeprefix("/topic").strip())
        elif line in ("/next", "/prev") and self.topic:
            self.page += 1 if line == "/next" else -1
            self.show_topic(self.topic, self.page)
        else:
            self.last_question, self.offset = line, 0
            self.ask(line, 0)
        return True

    def ask(self, question: str, offset: int) -> None:
        if offset == 0 and (short := smalltalk.reply_for(question)) is not None:
            self.say(short)
            return
        started = time.perf_counter()
        ans = self.svc.answer(question, 3, offset)
        if ans is not None and ans.is_question and offset == 0:  # /more pages a logged question
            questionlog.record_safely(self.qlog, questionlog.entry(ans, (time.perf_counter() - started) * 1000,
                                                                   "console"))
        if ans is None:
            self.say(f"Chỉ mục chưa sẵn sàng: {self.svc.error}")
        elif not ans.is_question:
            self.say("Chào bạn! Hãy hỏi một câu về tin tức.")
        elif not ans.answered or not ans.hits:
            engine = self.svc.engine
            near = topics.related(engine.gen, question, [(h.title, h.topics) for h in ans.hits]) if engine else []
            self.say(render.refusal_message(question, near, ans.period))
        else:
            for msg in render.answer_messages(ans, offset):
                self.say(msg)
            self.say("(/more: xem thêm)")

    def show_topic(self, phrase: str, page: int = 0) -> None:
        engine = self.svc.engine
        if engine is None:
            self.say(f"Chỉ mục chưa sẵn sàng: {self.svc.error}")
            return
        if not phrase:
            self.say("Chủ đề: " + ", ".join(f"{t} ({n})" for t, n in engine.gen.topics().items()))
            return
        name = topics.find(engine.gen, phrase)
        if name is None:
            near = topics.closest(engine.gen, phrase)
            self.say(f"Không có chủ đề «{html.escape(phrase)}». Gần nhất: {', '.join(near) or '—'}")
            return
        items, self.page, pages = topics.page(topics.articles(engine.gen, name), page)
        self.topic = name
        self.say(render.topic_page(name, items, self.page, pages) + "\n(/next, /prev)")


def run_console(svc: IndexService, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
                qlog: questionlog.QuestionLog | None = None) -> None:
    con = Console(svc, out, qlog)
    out.write("Hỏi Báo — chế độ dòng lệnh. Gõ câu hỏi, /help để xem lệnh, /quit để thoát.\n")
    while True:
        out.write(PROMPT)
        out.flush()
        line = stdin.readline()
        if not line or not con.handle(line):
            break
