"""Vietnamese text handling shared by documents and queries.

Everything that compares text (BM25, accent restoration, highlighting) goes
through `analyze`, so a document and a query typed differently (NFD, new tone
placement, no tone marks, abbreviations) meet on the same tokens.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# Tone marks as combining characters (NFD form).
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

# Articles are ~99% "old style" (hòa, khỏe, thủy); queries are split 50/50, so
# new-style clusters at the end of a syllable are moved to the old style.
# In "qu" + y the u belongs to the onset (quý), so uy after q is left alone.
_NEW_STYLE = re.compile(r"([o])([ae])([\u0300\u0301\u0303\u0309\u0323])(?![^\W\d_])"
                        r"|(?<!q)(u)(y)([\u0300\u0301\u0303\u0309\u0323])(?![^\W\d_])")

# A token: a run of word characters, optionally joined by . , / - & when another
# word character follows (keeps 18,72 6/63 05-NQ/TU 1.600 KT-XH TT&TT intact),
# with an optional trailing %.
TOKEN_RE = re.compile(r"\w+(?:[.,/\-&]\w+)*%?")

# Tokens separated only by whitespace may form a bigram; punctuation breaks it.
_BIGRAM_GAP = re.compile(r"\s*")


_SURROGATE = re.compile("[\ud800-\udfff]")


def nfc(text: str) -> str:
    """NFC with zero-width characters removed (they hide inside scraped text) and lone
    surrogates (from JSON "\\ud800" escapes) replaced, so the text can always be written."""
    return unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", text.translate(_ZERO_WIDTH)))


def _old_style(match: re.Match[str]) -> str:
    g = match.groups()
    if g[0] is not None:
        return g[0] + g[2] + g[1]
    return g[3] + g[5] + g[4]


def normalize(text: str) -> str:
    """NFC, one tone-placement convention (old style), lowercase.

    Keeps the string length stable only for NFC input; offsets are therefore
    always taken on the original text and tokens carry their own spans.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_ZERO_WIDTH).lower())
    return unicodedata.normalize("NFC", _NEW_STYLE.sub(_old_style, decomposed))


@functools.lru_cache(maxsize=200_000)
def _token_forms(raw: str) -> tuple[str, str]:
    """(normalised, folded) form of one raw token; tokens repeat, so cache them."""
    norm = normalize(raw)
    return norm, fold(norm)


def fold(text: str) -> str:
    """Remove every diacritic and map đ to d: the form of text typed without marks."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def has_marks(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (or đ)."""
    return fold(text) != unicodedata.normalize("NFC", text)


def strip_tone(syllable: str) -> str:
    """Remove only the tone mark, keeping vowel shapes (ơ, ư, â …)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised token and where it came from in the original text."""

    text: str
    start: int
    end: int


def raw_tokens(text: str) -> Iterator[Token]:
    """Tokens of `text` (normalised form, spans into `text`)."""
    text = nfc(text)
    for m in TOKEN_RE.finditer(text):
        yield Token(normalize(m.group()), m.start(), m.end())


DEFAULT_ABBREVIATIONS: dict[str, str] = {
    "khcn": "khoa học công nghệ",
    "kh&cn": "khoa học và công nghệ",
    "cchc": "cải cách hành chính",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "mttq": "mặt trận tổ quốc",
    "cntt": "công nghệ thông tin",
    "kt-xh": "kinh tế - xã hội",
    "ktxh": "kinh tế - xã hội",
    "qp-an": "quốc phòng - an ninh",
    "tt&tt": "thông tin và truyền thông",
    "gd&đt": "giáo dục và đào tạo",
    "nn&ptnt": "nông nghiệp và phát triển nông thôn",
    "tn&mt": "tài nguyên và môi trường",
    "lđtb&xh": "lao động - thương binh và xã hội",
    "thpt": "trung học phổ thông",
    "thcs": "trung học cơ sở",
    "bhxh": "bảo hiểm xã hội",
    "bhyt": "bảo hiểm y tế",
    "đbqh": "đại biểu quốc hội",
    "atgt": "an toàn giao thông",
    "attp": "an toàn thực phẩm",
    "csgt": "cảnh sát giao thông",
    "ntm": "nông thôn mới",
    "dvc": "dịch vụ công",
    "ddci": "chỉ số năng lực cạnh tranh cấp sở, ngành và địa phương",
    "tphcm": "thành phố hồ chí minh",
    "tp.hcm": "thành phố hồ chí minh",
    "tp": "thành phố",
    "gdp": "tổng sản phẩm quốc nội",
}


class Analyzer:
    """Turns text into index terms: abbreviations expanded, uni+bigrams, exact or folded.

    Expanding an abbreviation into its long form on both sides makes "KHCN" in a
    question match "khoa học công nghệ" in an article and the other way round.
    """

    def __init__(self, abbreviations: Mapping[str, str] | None = None) -> None:
        table = dict(DEFAULT_ABBREVIATIONS)
        table.update(abbreviations or {})
        self.abbreviations = {normalize(k): [normalize(t.text) for t in raw_tokens(v)]
                              for k, v in table.items()}
        self.folded_abbreviations = {fold(k): [fold(t) for t in v]
                                     for k, v in self.abbreviations.items()}

    def syllables(self, text: str, folded: bool = False) -> list[list[str]]:
        """Syllables grouped into runs that no punctuation interrupts."""
        text = nfc(text)
        runs: list[list[str]] = []
        last_end = -1
        for m in TOKEN_RE.finditer(text):
            tok = _token_forms(m.group())[1 if folded else 0]
            table = self.folded_abbreviations if folded else self.abbreviations
            parts = table.get(tok, [tok])
            if last_end < 0 or not _BIGRAM_GAP.fullmatch(text, last_end, m.start()):
                runs.append([])
            runs[-1].extend(parts)
            last_end = m.end()
        return runs

    def terms(self, text: str, folded: bool = False) -> list[str]:
        """Syllable unigrams plus bigrams within each run (docs/answers.md)."""
        out: list[str] = []
        for run in self.syllables(text, folded):
            out.extend(run)
            out.extend(f"{a} {b}" for a, b in itertools.pairwise(run))
        return out


# Abbreviations mined from "long form (ABBR)" in the corpus.
_PAREN_ABBR = re.compile(r"\(([A-ZĐ][A-ZĐ&\-]{1,9})\)")


def mine_abbreviations(text: str) -> dict[str, str]:
    """Pairs like "Ủy ban nhân dân (UBND)": the initials of the words before match."""
    found: dict[str, str] = {}
    text = nfc(text)
    for m in _PAREN_ABBR.finditer(text):
        abbr = m.group(1)
        letters = [c for c in fold(abbr).lower() if c.isalpha()]
        words = re.findall(r"\w+", text[max(0, m.start() - 200):m.start()])
        if len(letters) < 2 or len(words) < len(letters):
            continue
        cand = words[-len(letters):]
        if [fold(w[0]).lower() for w in cand] == letters:
            found[abbr.lower()] = " ".join(cand).lower()
    return found


# Sentence boundaries: . ! ? … followed by space and something that can open a
# sentence. Abbreviations with a dot (TP., TS., ThS.) must not end a sentence.
_SENT_END = re.compile(r"[.!?…]+[\"”’)]*\s+(?=[\"“‘(\[]?[\w])|\n+")
_NO_BREAK_BEFORE = re.compile(
    r"(?:\b(?:TP|Tp|TS|ThS|Th\.S|PGS|GS|BS|BSCKI|BSCKII|CKI|CKII|KS|ThS\.BS|Mr|Mrs|Dr|St|tr|Q|P|TT|Nxb|v\.v)|\b[A-ZĐ])\.$"
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) spans of sentences in text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _SENT_END.finditer(text, start, end):
        piece_end = m.start() + len(m.group().rstrip())
        candidate = text[cur:piece_end]
        if m.group()[0] != "\n":
            if _NO_BREAK_BEFORE.search(candidate):
                continue
            nxt = text[m.end():m.end() + 1]
            if not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘(["):
                continue
        _add_span(text, cur, piece_end, spans)
        cur = m.end()
    _add_span(text, cur, end, spans)
    return spans


def _add_span(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))
