"""Example questions for /start, made from the newest articles' own sentences.

A sentence with a quantity becomes a "bao nhiêu" question about it ("…gồm 42
thành viên…" → "…gồm bao nhiêu thành viên?"), so every example is answerable.
"""

from __future__ import annotations

import re

from index.articles import Article
from index.text import sentence_spans

_QUANTITY = re.compile(r"(?<![\w/])(\d+(?:[.,]\d+)*)(%?)(?![\w/])")
_YEAR = re.compile(r"^(19|20)\d\d$")
_LEAD = re.compile(r"^(?:Trong đó|Ngoài ra|Bên cạnh đó), ")
# After these words a number names something (bão số 2, lớp 10, ngày 3), it is no quantity.
_NAMING = {"số", "lớp", "thứ", "khóa", "kỳ", "quận", "phường", "tháng", "ngày", "năm", "đợt", "tuổi", "giờ"}
_CLAUSE_END = re.compile(r"[,;:!?]|\.(?!\d)")


def question_from(sentence: str) -> str | None:
    if sentence.startswith("Theo "):  # attribution first: the question would be clumsy
        return None
    for m in _QUANTITY.finditer(sentence):
        before = sentence[:m.start()].split()
        if _YEAR.match(m.group(1)) or (before and before[-1].lower() in _NAMING):
            continue
        head = _LEAD.sub("", sentence[:m.start()]).lstrip()
        tail = _CLAUSE_END.split(sentence[m.end():], maxsplit=1)[0].rstrip()
        question = f"{head}bao nhiêu{tail}?"
        if 25 <= len(question) <= 110:
            return question[0].upper() + question[1:]
    return None


def examples(articles: list[Article], n: int = 3) -> list[str]:
    newest = sorted(articles, key=lambda a: a.published or "", reverse=True)
    out: list[str] = []
    for art in newest:
        for s, e in sentence_spans(art.text):
            q = question_from(art.text[s:e])
            if q:
                out.append(q)
                break
        else:
            out.append(art.title)
        if len(out) == n:
            break
    return out
