"""Bytes of an article file to text, and the error every unusable input raises."""

from __future__ import annotations

import codecs


class BadArticle(ValueError):
    """An input that cannot become an article; the message is the reason."""


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, then Windows-1258."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise BadArticle("binary file (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise BadArticle(f"not UTF-8, UTF-16 or Windows-1258 text: {exc}") from exc
    if _looks_binary(text):
        raise BadArticle("binary file (control characters)")
    return text


def _looks_binary(text: str) -> bool:
    ctrl = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    return ctrl > max(4, len(text) // 100)
