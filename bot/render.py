"""Answers and topic pages as Telegram HTML, always valid and within Telegram's limits.

Every piece of article text goes through `html.escape`; messages are split
between whole blocks, and a block too long on its own is cut into pieces that
each carry their own opening and closing tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.answer import Answer, Hit
from index.articles import Article
from index.dates import Period
from index.text import sentence_spans

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of the text after entity parsing
_TAG = re.compile(r"<[^>]+>")


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it: tags removed, entities decoded, UTF-16 units."""
    text = html.unescape(_TAG.sub("", html_text))
    return len(text.encode("utf-16-le")) // 2


def fmt_date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso[:10].split("-")
    return f"{d}/{m}/{y}"


def _bold(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in spans:
        if s < pos or e > len(text):
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<b>{html.escape(text[s:e])}</b>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


TITLE_MAX = 200  # a title is a label; a scraped "title" of 10k characters must not make a message
TOPIC_MAX = 80


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def source_line(title: str, url: str | None, published: str | None) -> str:
    name = html.escape(shorten(title, TITLE_MAX))
    link = f'<a href="{html.escape(url, quote=True)}">{name}</a>' if url else f"<i>{name}</i>"
    date = fmt_date(published)
    return f"📰 {link}" + (f" · {date}" if date else "")


@dataclass(frozen=True, slots=True)
class Block:
    """A unit that is never split across messages unless it alone is too long.
    `inner` is escaped HTML wrapped by `open_tag`/`close_tag`."""

    inner: str
    open_tag: str = ""
    close_tag: str = ""
    tail: str = ""  # HTML after the wrapped part (e.g. the source line)

    def html(self) -> str:
        return f"{self.open_tag}{self.inner}{self.close_tag}{self.tail}"


def hit_blocks(hit: Hit, number: int | None, with_context: bool) -> list[Block]:
    prefix = f"{number}. " if number else ""
    blocks = [Block(_bold(hit.quote, hit.highlights), f"{prefix}<blockquote>", "</blockquote>",
                    "\n" + source_line(hit.title, hit.url, hit.published))]
    if with_context and len(hit.context) > len(hit.quote) + 40:
        blocks.append(Block(html.escape(hit.context), "<blockquote expandable>", "</blockquote>"))
    return blocks


RELATED_MIN = 0.6  # further sources are shown only when this close to the best one


def shown(hits: Sequence[Hit]) -> list[Hit]:
    """The hits worth showing: the best, and those scoring within RELATED_MIN of it."""
    return [h for h in hits if h.score >= RELATED_MIN * hits[0].score] if hits else []


def answer_messages(ans: Answer, offset: int = 0) -> list[str]:
    """The reply to a question: quoted answer(s) with sources, split to fit. `ans.hits` are
    this page's (already past the bar); `offset` hits were shown on earlier pages."""
    blocks: list[Block] = []
    hits = list(ans.hits)
    if ans.period and not offset:  # the period the question named: "🗓 Trong tháng 3/2025:"
        blocks.append(Block(f"🗓 {html.escape(ans.period.phrase[:1].upper() + ans.period.phrase[1:])}:"))
    if offset:
        blocks.append(Block(f"Kết quả tiếp theo cho: <i>{html.escape(ans.question)}</i>"))
    for i, hit in enumerate(hits):
        blocks.extend(hit_blocks(hit, offset + i + 1 if len(hits) > 1 or offset else None,
                                 with_context=(i == 0 and not offset)))
    return pack(blocks)


def refusal_message(question: str, topics: Sequence[str], period: Period | None = None) -> str:
    when = f"{html.escape(period.phrase)} " if period else ""  # "trong năm 2022 ": the period searched
    lines = [f"Xin lỗi, {when}mình chưa tìm thấy bài báo nào trả lời câu hỏi này. 🙏",
             "", "Bạn có thể thử:",
             "• hỏi ngắn gọn hơn, dùng từ khóa chính (tên địa danh, cơ quan, con số);",
             "• gõ đủ dấu tiếng Việt nếu có thể;"]
    if topics:
        lines.append("• xem các chủ đề gần nhất: "
                     + ", ".join(f"<b>{html.escape(shorten(t, TOPIC_MAX))}</b>" for t in topics))
    return "\n".join(lines)


def topic_page(topic: str, articles: Sequence[Article], page: int, pages: int, head: str = "") -> str:
    head = head or f"🗂 Chủ đề <b>{html.escape(shorten(topic, TOPIC_MAX))}</b> — trang {page + 1}/{max(pages, 1)}"
    blocks = [Block(head)]
    for art in articles:
        lede = first_sentence(art.lede or art.text)
        line = source_line(art.title, art.url, art.published).removeprefix("📰 ")
        blocks.append(Block(f"• {line}\n{html.escape(lede)}"))
    return pack(blocks)[0]


def news_page(topic: str | None, articles: Sequence[Article], page: int, pages: int) -> str:
    """/moi: the newest articles, on one topic or all, in the /topic page layout."""
    about = f" — chủ đề <b>{html.escape(shorten(topic, TOPIC_MAX))}</b>" if topic else ""
    return topic_page("", articles, page, pages, head=f"🆕 Tin mới nhất{about} — trang {page + 1}/{max(pages, 1)}")


LEDE_MAX = 600


def push_message(art: Article, about: str) -> str:
    """An alert: what it is about, the linked title and date, the lede, the topics."""
    lines = [f"🔔 Bài mới — <b>{html.escape(shorten(about, TOPIC_MAX))}</b>",
             source_line(art.title, art.url, art.published)]
    lede = shorten(" ".join((art.lede or first_sentence(art.text, LEDE_MAX)).split()), LEDE_MAX)
    if lede:
        lines.append(html.escape(lede))
    if art.topics:
        lines.append("🗂 " + ", ".join(html.escape(shorten(t, TOPIC_MAX)) for t in art.topics[:5]))
    return "\n".join(lines)


def digest_message(lines: Sequence[str], limit: int = MAX_MESSAGE) -> str:
    """Pushes over the hourly budget, folded into one message of linked titles."""
    text = f"🔔 Thêm {len(lines)} bài mới theo chủ đề bạn theo dõi:"
    for i, line in enumerate(lines):
        rest = f"\n… và {len(lines) - i} bài nữa."
        if visible_length(f"{text}\n• {line}{rest}") > limit:
            return text + rest
        text += f"\n• {line}"
    return text


def inline_message(hit: Hit) -> str:
    """What an inline result sends: the quote, the linked title and the date."""
    block = Block(html.escape(shorten(hit.quote, 3000)), "<blockquote>", "</blockquote>",
                  "\n" + source_line(hit.title, hit.url, hit.published))
    return pack([block])[0]


def first_sentence(text: str, limit: int = 300) -> str:
    spans = sentence_spans(text)
    return shorten(text[spans[0][0]:spans[0][1]] if spans else text, limit)


def pack(blocks: Sequence[Block], limit: int = MAX_MESSAGE) -> list[str]:
    """Join blocks with blank lines into as few messages as fit; never split a tag."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if visible_length(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages or [""]


def _fit(block: Block, limit: int) -> list[str]:
    whole = block.html()
    if visible_length(whole) <= limit:
        return [whole]
    # Cut the inner text at whitespace, outside entities and tags, each piece re-wrapped.
    room = limit - visible_length(block.tail) - 2
    pieces, cur = [], ""
    for tok in re.split(r"(\s+)", block.inner):
        for part in _split_token(tok, room):
            if cur and visible_length(cur + part) > room:
                pieces.append(cur)
                cur = part.lstrip()
            else:
                cur += part
    if cur:
        pieces.append(cur)
    out = [f"{block.open_tag}{_balance(p)}{block.close_tag}" for p in pieces]
    out[-1] += block.tail
    return out


def _split_token(tok: str, room: int) -> list[str]:
    """A single token longer than a message: cut between characters, never inside &…; or <…>."""
    if visible_length(tok) <= room:
        return [tok]
    units = re.findall(r"<[^>]+>|&[#\w]+;|.", tok, flags=re.DOTALL)
    parts, cur = [], ""
    for u in units:
        if visible_length(cur + u) > room:
            parts.append(cur)
            cur = ""
        cur += u
    return [*parts, cur]


def _balance(fragment: str) -> str:
    """Close <b> tags left open in a fragment and reopen ones closed without opening."""
    opened = 0
    prefix = ""
    for m in re.finditer(r"</?b>", fragment):
        if m.group() == "<b>":
            opened += 1
        elif opened:
            opened -= 1
        else:
            prefix += "<b>"
    return prefix + fragment + "</b>" * opened
