"""Example questions for /start, made from the newest articles' own sentences.

A sentence with a quantity becomes a "bao nhiêu" question about it ("…gồm 42
thành viên…" → "…gồm bao nhiêu thành viên?"). What /start shows is stricter: a
question must name its subject (a place, an organisation, a person: a capitalised
word after the first, or an acronym), fit a button uncut, and be answered by the
engine with a quote from its own article — "Huyện huy động bao nhiêu máy gặt?"
(which district?) never reaches a reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.answer import Engine
from index.articles import Article
from index.text import sentence_spans

_QUANTITY = re.compile(r"(?<![\w/])(\d+(?:[.,]\d+)*)(%?)(?![\w/])")
_YEAR = re.compile(r"^(19|20)\d\d$")
_LEAD = re.compile(r"^(?:Trong đó|Ngoài ra|Bên cạnh đó), ")
# After these words a number names something (bão số 2, lớp 10, ngày 3), it is no quantity.
_NAMING = {"số", "lớp", "thứ", "khóa", "kỳ", "quận", "phường", "tháng", "ngày", "năm", "đợt", "tuổi", "giờ"}
_CLAUSE_END = re.compile(r"[,;:!?]|\.(?!\d)")
# Where a question's tail can end early: "tuyển bao nhiêu học sinh | cho 14 lớp chuyên".
_TAIL_CUT = re.compile(r" (?=(?:cho|với|tại|trên|để|bằng|từ|của|trong|khi|so với) )")
BUTTON_MAX = 60  # characters a full-width inline button shows uncut on a phone
_COMMON_HEADS = {"xã", "huyện", "tỉnh", "phường", "thị", "thành", "sở", "trường", "ban", "hội", "công", "cục"}
SCAN_ARTICLES = 30  # newest articles looked at: /start must stay fast on a large index


def question_from(sentence: str) -> str | None:
    if sentence.startswith("Theo "):  # attribution first: the question would be clumsy
        return None
    for m in _QUANTITY.finditer(sentence):
        before = sentence[:m.start()].split()
        if _YEAR.match(m.group(1)) or (before and before[-1].lower() in _NAMING):
            continue
        # "Bà X, 82 tuổi" → "Bà X bao nhiêu tuổi": no comma before the question word
        head = _LEAD.sub("", sentence[:m.start()]).lstrip().removesuffix(", ")
        tail = _CLAUSE_END.split(sentence[m.end():], maxsplit=1)[0].rstrip()
        question = f"{head}bao nhiêu{tail}?" if head.endswith(" ") or not head else f"{head} bao nhiêu{tail}?"
        if 25 <= len(question) <= 110:
            return question[0].upper() + question[1:]
    return None


def shorter(question: str) -> Iterator[str]:
    """The question, then the same with its tail cut at a preposition, longest first."""
    yield question
    head, sep, tail = question.partition("bao nhiêu")
    if not sep:
        return
    cuts = [m.start() for m in _TAIL_CUT.finditer(tail)]
    for cut in reversed(cuts):
        if len(tail[:cut].split()) >= 1:
            yield f"{head}{sep}{tail[:cut]}?"


def names_subject(question: str) -> bool:
    words = question.rstrip("?").split()
    return any(w[:1].isupper() for w in words[1:]) or any(re.fullmatch(r"[A-ZĐ&]{2,}\w*", w) for w in words)


def examples(articles: list[Article], n: int = 3) -> list[str]:
    """One candidate question per article, newest first (the title when no sentence makes one)."""
    out: list[str] = []
    for art in _newest(articles):
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


@dataclass(frozen=True, slots=True)
class Start:
    """What /start offers: verified questions and a topic to browse."""

    questions: tuple[str, ...]
    topic: str | None


def start_examples(engine: Engine, facts: int = 1) -> Start:
    """`facts` "bao nhiêu" questions and one "Tin mới nhất về …?" question, each naming
    its subject, fitting a button, and answered from the article it was made from."""
    newest = _newest(engine.gen.articles)[:SCAN_ARTICLES]
    found: list[str] = []
    for art in newest:
        q = next((c for c in _fact_candidates(art) if _answered_from(engine, c, art)), None)
        if q is not None:
            found.append(q)
            if len(found) == facts:
                break
    latest = next((q for art in newest if (s := subject_of(art.title))
                   for q in [f"Tin mới nhất về {s}?"] if len(q) <= BUTTON_MAX and _answered_from(engine, q, art)),
                  None)
    topic = next((t for art in newest for t in art.topics), None)
    return Start(tuple(found) + ((latest,) if latest else ()), topic)


def _fact_candidates(art: Article) -> Iterator[str]:
    for s, e in sentence_spans(art.text):
        q = question_from(art.text[s:e])
        if q is not None:
            # A comma means a clause before the question ("Sở X cho biết, toàn tỉnh…"): clumsy on a button.
            yield from (c for c in shorter(q) if len(c) <= BUTTON_MAX and "," not in c and names_subject(c))


def subject_of(title: str) -> str | None:
    """The named thing a title opens with: "Bệnh viện Đa khoa tỉnh Hà Tĩnh chính thức…" →
    "Bệnh viện Đa khoa tỉnh Hà Tĩnh" (up to the last capitalised word of the first seven)."""
    words = title.split()
    last = max((i for i, w in enumerate(words[:7]) if i and w[:1].isupper()), default=0)
    if not last or any(c.isdigit() for w in words[:last + 1] for c in w):  # "Hơn 14.000 thí sinh…"
        return None
    first = words[0]
    if first.lower() in _COMMON_HEADS or (words[1][:1].islower() and not first.isupper()):
        first = first.lower()  # "Bệnh viện …", "Xã Thạch Mỹ" read mid-sentence; "Hà Tĩnh" keeps its capital
    return " ".join([first, *words[1:last + 1]])


def _answered_from(engine: Engine, question: str, art: Article) -> bool:
    ans = engine.answer(question)
    return ans.answered and bool(ans.hits) and ans.hits[0].article_id == art.id


def _newest(articles: list[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: a.published or "", reverse=True)


_cache: dict[str, Start] = {}


def cached_start_examples(engine: Engine) -> Start:
    """Worked out once per index generation (each candidate is a full search)."""
    name = engine.gen.name
    if name not in _cache:
        _cache.clear()  # only the live generation's are ever wanted
        _cache[name] = start_examples(engine)
    return _cache[name]
