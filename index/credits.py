"""What of a page's paragraphs is the article: photo credits and repeated captions are not.

A credit ("Ảnh: VGP/Nhật Bắc", "(Ảnh minh họa)", "Nguồn: Bộ Y tế") names who made a
picture or where a text came from; quoted as an answer it reads as nonsense, so it is
cut when articles are cleaned, before anything is indexed. A photo caption that only
restates a paragraph of the body adds nothing and would be quoted in its place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import raw_tokens

_WHO = r"(?:(?!\.\s)[^!?\n()]){1,80}?"  # a name or two, no sentence break: "VGP/Nhật Bắc", "T.H"
_KIND = r"(?:ảnh|nguồn(?:\s+ảnh)?|đồ\s+h(?:ọa|oạ)|video|clip|infographic|photo)"
_ASIDE = (r"ảnh\s+(?:minh\s+h(?:ọa|oạ)|tư\s+liệu|chụp\s+màn\s+hình|internet"
          r"|(?:do\s+)?(?:nhân\s+vật|gia\s+đình|bệnh\s+viện|bvcc|người\s+bệnh)[\w\s]{0,30}?cung\s+cấp)")
# A whole paragraph that is only a credit: "Ảnh: Thu Trang", "(Ảnh minh họa)", "Nguồn: WHO."
_CREDIT_LINE = re.compile(rf"\(?\s*(?:{_KIND}\s*:\s*{_WHO}|{_ASIDE}(?:\s*:\s*{_WHO})?)\s*\)?\s*\.?", re.IGNORECASE)
# A credit in brackets anywhere: "Bác sĩ thăm khám (Ảnh: BVCC)."
_IN_BRACKETS = re.compile(rf"\s*\((?:{_KIND}\s*:[^()]{{0,80}}|{_ASIDE}[^()]{{0,80}})\)", re.IGNORECASE)
# A credit after the caption's last sentence, capitalised, with its colon: "… phiên họp. Ảnh: VGP/Nhật Bắc."
_TRAILING = re.compile(rf"(?<!\w)\s*(?:(?:Ảnh|Nguồn(?: ảnh)?|Đồ h(?:ọa|oạ)|Video|Clip|Infographic)\s*:\s*{_WHO}"
                       rf"|(?<=[.!?…])\s*(?:Ảnh minh h(?:ọa|oạ)|Ảnh tư liệu)\s*(?::\s*{_WHO})?)\s*\.?$")

REPEAT_SHARE = 0.8  # a caption with this share of its words in one body paragraph restates it
REPEAT_MIN_WORDS = 4  # shorter captions ("Toàn cảnh hội nghị") are kept: too short to judge


def strip_credit(paragraph: str) -> str:
    """The paragraph without its photo or source credits ("" when it was only a credit)."""
    text = paragraph.strip()
    if _CREDIT_LINE.fullmatch(text):
        return ""
    text = _IN_BRACKETS.sub("", text)
    text = _TRAILING.sub("", text).strip()
    return "" if not any(c.isalnum() for c in text) else text


def _words(text: str) -> set[str]:
    return {t.text for t in raw_tokens(text)}


def repeats(caption: str, paragraph: str) -> bool:
    """Are the caption's words (at least REPEAT_MIN_WORDS) mostly the paragraph's?"""
    words = _words(caption)
    if len(words) < REPEAT_MIN_WORDS:
        return False
    return len(words & _words(paragraph)) >= REPEAT_SHARE * len(words)


def clean_paragraphs(paragraphs: Sequence[str], captions: Sequence[str]) -> tuple[list[str], list[str]]:
    """Paragraphs without credits, less the captions that restate a body paragraph, and
    the captions kept (as they now read in the paragraphs)."""
    cleaned = [strip_credit(p) for p in paragraphs]
    named = {strip_credit(c) for c in captions} - {""}
    body = [p for p in cleaned if p and p not in named]
    repeated = {c for c in named if any(repeats(c, p) for p in body)}
    kept = [p for p in cleaned if p and p not in repeated]
    return kept, [p for p in dict.fromkeys(kept) if p in named]
