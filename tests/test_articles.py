from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.articles import MAX_BYTES, BadArticle, article_id, decode, parse_page, read_articles
from tests.conftest import ARTICLES


def _by_title(result, title):  # type: ignore[no-untyped-def]
    return next(a for a in result.articles if a.title == title)


def test_seed_format_with_front_matter() -> None:
    art = read_articles([ARTICLES / "a1-front-matter.txt"]).articles[0]
    assert art.title == "Tỉnh số hóa 95% hồ sơ đất đai, rút ngắn thời gian cấp sổ đỏ"
    assert art.url == "https://example.org/test/so-hoa-ho-so"
    assert art.published == "2025-05-17"
    assert art.id == article_id(art.url, "")
    # front-matter topics first, then the page's "Chủ đề" lines, without duplicates
    assert art.topics == ("Chuyển đổi số", "Cải cách hành chính", "Hoạt động của lãnh đạo tỉnh")
    assert art.lede.startswith("Sở Tài nguyên và Môi trường cho biết")
    assert "(Baohatinh.vn)" not in art.text
    # the photo credit is no part of the caption, nor of the text
    assert art.captions == ("Cán bộ một cửa hướng dẫn người dân tra cứu hồ sơ trên máy tính.",
                            "Toàn cảnh hội nghị tổng kết tại TP. Hà Tĩnh.")
    assert "Thu Hà" not in art.text and art.captions[0] in art.text.split("\n\n")
    assert ".jpg" not in art.text


def test_read_more_teasers_are_related_not_text() -> None:
    art = read_articles([ARTICLES / "a1-front-matter.txt"]).articles[0]
    assert art.related == ("Giá lúa tăng mạnh sau bão", "Người dân vùng lũ được hỗ trợ gạo")
    assert "bí mật" not in art.text and "Giá lúa" not in art.text
    assert "Chủ đề" not in art.text


def test_without_front_matter_id_from_path() -> None:
    p = ARTICLES / "a2-no-front-matter.txt"
    art = read_articles([p]).articles[0]
    assert art.url is None and art.published is None and art.topics == ()
    assert art.id == article_id(None, str(p))
    assert art.title == "Khánh thành cầu Cửa Hội nối hai tỉnh"


def test_jsonl_records_and_bad_lines() -> None:
    res = read_articles([ARTICLES / "a3-batch.jsonl"])
    titles = [a.title for a in res.articles]
    assert titles == ["Ca trù Cổ Đạm được bảo tồn", "Giá cam bù Hương Sơn tăng", "Bài không có URL"]
    assert _by_title(res, "Ca trù Cổ Đạm được bảo tồn").topics == ("Văn hóa",)
    reasons = {s.source.rsplit(":", 1)[-1]: s.reason for s in res.skipped}
    assert reasons["3"].startswith("invalid JSON")
    assert reasons["4"] == "missing title or text"


def test_other_encodings_are_decoded() -> None:
    res = read_articles([ARTICLES / "win1258.txt", ARTICLES / "utf16.txt"])
    assert [a.title for a in res.articles] == ["Hội thi tin học trẻ năm 2025", "Đường điện mới về bản Rào Tre"]
    # Windows-1258 stores tone marks as combining characters: the text must come out NFC
    assert "học sinh" in res.articles[0].text
    assert decode("Hòa".encode("utf-8-sig")) == "Hòa"


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Tiêu đề\n\n" + "chữ " * (MAX_BYTES // 4), encoding="utf-8")
    res = read_articles([ARTICLES, big, tmp_path / "missing.txt"])
    reasons = {Path(s.source.split(":")[0]).name: s.reason for s in res.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["big.txt"].startswith("too large")
    assert reasons["missing.txt"] == "no such file or directory"
    assert "notes.md" not in reasons  # folders are filtered by suffix silently
    assert len(res.articles) == 7


def test_duplicate_url_latest_wins(tmp_path: Path) -> None:
    for name, body in (("1.txt", "Bản cũ của bài."), ("2.txt", "Bản mới của bài.")):
        (tmp_path / name).write_text(f"---\nurl: https://x.vn/a\n---\nTiêu đề\n\n{body}\n", encoding="utf-8")
    res = read_articles([tmp_path])
    assert len(res.articles) == 1 and res.articles[0].text == "Bản mới của bài."
    assert res.duplicates == 1 and "duplicate url" in res.skipped[0].reason


def test_symlink_out_of_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Bí mật\n\nKhông được đọc.\n", encoding="utf-8")
    root = tmp_path / "articles"
    root.mkdir()
    (root / "ok.txt").write_text("Bài thật\n\nNội dung thật.\n", encoding="utf-8")
    (root / "link.txt").symlink_to(outside)
    res = read_articles([root])
    assert [a.title for a in res.articles] == ["Bài thật"]
    assert res.skipped[0].reason == "symlink outside the articles folder"


def test_bad_published_date_is_a_reason() -> None:
    with pytest.raises(ValueError, match="ISO date"):
        parse_page("---\npublished: hôm qua\n---\nTiêu đề\n\nThân bài.", "x")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_parser_never_fails_on_arbitrary_text(text: str) -> None:
    """Surrogates, NFD, zero-width, bidi, combining runs, markup: a clear refusal or an article."""
    try:
        art = parse_page(text, "fuzz")
    except BadArticle:
        return
    assert art.title and art.text
    assert "\u200b" not in art.text
    (art.title + art.text).encode("utf-8")  # always writable


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_decoder_never_fails_on_arbitrary_bytes(data: bytes) -> None:
    try:
        text = decode(data)
    except (BadArticle, UnicodeDecodeError):
        return
    assert isinstance(text, str)
