"""Check a message the way Telegram's HTML parse mode would accept it."""

from __future__ import annotations

import re

ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
           "tg-spoiler", "span", "tg-emoji"}
_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)((?:\s+[a-z-]+(?:=\"[^\"]*\")?)*)\s*>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]")


def check(text: str) -> None:
    """Raise ValueError when Telegram would refuse `text` with parse_mode=HTML."""
    stack: list[str] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok in "<>&":
            raise ValueError(f"unescaped {tok!r} at {m.start()}: {text[max(0, m.start() - 20):m.start() + 20]!r}")
        if tok.startswith("&"):
            continue
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
        if name not in ALLOWED:
            raise ValueError(f"unsupported tag <{name}>")
        if closing:
            if not stack or stack[-1] != name:
                raise ValueError(f"</{name}> closes {stack[-1] if stack else 'nothing'}")
            stack.pop()
        else:
            if name == "a" and 'href="' not in attrs:
                raise ValueError("<a> without href")
            if name == "blockquote" and "blockquote" in stack:
                raise ValueError("nested blockquote")
            stack.append(name)
    if stack:
        raise ValueError(f"unclosed tags {stack}")
