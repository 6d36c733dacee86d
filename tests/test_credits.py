"""Photo credits and captions that restate the body never reach the text, so never a quote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.answer import Engine
from index.articles import parse_page, read_articles
from index.build import build
from index.credits import clean_paragraphs, repeats, strip_credit
from index.generation import load
from tests.conftest import DATA, SAMPLE

PAGE = DATA / "credits" / "c1-tiem-soi.txt"


@pytest.mark.parametrize(("paragraph", "clean"), [
    ("Toàn cảnh buổi lễ khánh thành. Ảnh: VGP/Minh Châu.", "Toàn cảnh buổi lễ khánh thành."),
    ("Đoàn công tác thăm hợp tác xã. Ảnh: T.H", "Đoàn công tác thăm hợp tác xã."),
    ("Bác sĩ thăm khám cho người bệnh (Ảnh: BVCC).", "Bác sĩ thăm khám cho người bệnh."),
    ("Người dân xếp hàng chờ tiêm (Ảnh minh hoạ)", "Người dân xếp hàng chờ tiêm"),
    ("Ruộng muối sau cơn mưa. Ảnh minh họa.", "Ruộng muối sau cơn mưa."),
    ("Số ca mắc giảm 12% so với năm trước (Nguồn: Sở Y tế).", "Số ca mắc giảm 12% so với năm trước."),
    ("Bếp ăn bán trú của trường Chăm sóc Ảnh: Lê Minh", "Bếp ăn bán trú của trường Chăm sóc"),
])
def test_trailing_and_bracketed_credits_are_cut(paragraph: str, clean: str) -> None:
    assert strip_credit(paragraph) == clean


@pytest.mark.parametrize("paragraph", [
    "Ảnh: Thu Trang", "ảnh: Hồng Nhung.", "(Ảnh minh họa)", "Ảnh minh hoạ: Internet", "Nguồn: Bộ Y tế.",
    "Nguồn ảnh: Reuters", "(Ảnh do gia đình cung cấp)", "Đồ họa: Minh Hoàng", "Ảnh tư liệu",
])
def test_a_paragraph_that_is_only_a_credit_goes(paragraph: str) -> None:
    assert strip_credit(paragraph) == ""


@pytest.mark.parametrize("paragraph", [
    "Các hình ảnh: X-quang, siêu âm cho thấy khối phổi đã nhỏ lại.",
    "Nguồn vốn cho dự án là 20 tỷ đồng từ ngân sách tỉnh.",
    "Ông Hải nói: Ảnh hưởng của mưa lũ kéo dài đến hết tháng.",
    "Nguồn nước sinh hoạt của xã đã được xét nghiệm: đạt chuẩn.",
    "Ảnh: bác sĩ Trần Văn Lộc, người đã trực suốt ba đêm liền tại khoa Hồi sức của bệnh viện tỉnh.",
])
def test_text_that_only_looks_like_a_credit_stays(paragraph: str) -> None:
    assert strip_credit(paragraph) == paragraph


def test_a_caption_that_restates_a_paragraph_is_dropped_others_kept() -> None:
    body = "Sáng 3/11, lãnh đạo huyện trao 50 suất quà cho hộ nghèo tại nhà văn hóa thôn Trung."
    restating = "Lãnh đạo huyện trao quà cho hộ nghèo tại nhà văn hóa thôn Trung. Ảnh: Hải Yến."
    own = "Các em học sinh trình diễn văn nghệ chào mừng."
    assert repeats(strip_credit(restating), body) and not repeats(own, body)
    assert not repeats("Toàn cảnh lễ trao quà", body)  # too short to judge
    paragraphs, captions = clean_paragraphs(["Mở đầu bài.", restating, body, own], [restating, own])
    assert paragraphs == ["Mở đầu bài.", body, own]
    assert captions == [own]


def test_a_page_is_read_without_credits_or_restated_captions() -> None:
    art = read_articles([PAGE]).articles[0]
    paragraphs = art.text.split("\n\n")
    for credit in ("Ảnh", "Thu Trang", "minh họa", "Nguồn:", "CDC tỉnh"):
        assert credit not in art.text
    assert "Nhân viên y tế tiêm vắc xin sởi cho trẻ tại trạm" not in art.text  # restated the next paragraph
    assert art.captions == ("Phụ huynh chờ đến lượt cho con tiêm tại điểm tiêm lưu động.",)
    assert set(art.captions) <= set(paragraphs)  # captions still name paragraphs of the text
    assert "đạt 96%." in art.text and paragraphs[-1].startswith("Trẻ bị sốt")


def test_record_captions_are_matched_after_their_credits_go(tmp_path: Path) -> None:
    caption = "Cô giáo hướng dẫn học sinh lớp 1 làm quen với máy tính."
    record = {"url": "https://example.org/hoibao/thu/lop-tin-hoc", "title": "Trường mở lớp tin học cho lớp 1",
              "text": f"Trường tiểu học mở lớp tin học miễn phí.\n\n{caption} Ảnh: Hà Vy\n\nMỗi lớp học 20 em.",
              "captions": [f"{caption} Ảnh: Hà Vy"], "lede": "Trường tiểu học mở lớp tin học miễn phí."}
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    art = read_articles([path]).articles[0]
    assert art.captions == (caption,) and "Hà Vy" not in art.text
    assert art.text.split("\n\n")[1] == caption


def test_no_quote_or_context_holds_a_credit(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in [*SAMPLE.iterdir(), PAGE]:
        (corpus / f.name).write_bytes(f.read_bytes())
    build([corpus], tmp_path / "idx", None)
    engine = Engine(load(tmp_path / "idx"))
    for question in ("Bao nhiêu trẻ được tiêm vắc xin sởi?", "Tỷ lệ trẻ tiêm đủ hai mũi vắc xin sởi là bao nhiêu?",
                     "Trạm y tế xã Cẩm Bình tiêm vắc xin sởi cho bao nhiêu trẻ mỗi buổi?"):
        ans = engine.answer(question, k=3)
        assert ans.answered and ans.hits[0].url == "https://example.org/hoibao/thu/tiem-vac-xin-soi"
        for hit in ans.hits:
            assert "Ảnh" not in hit.quote + hit.context and "Nguồn:" not in hit.quote + hit.context
    cam_binh = engine.answer("Trạm y tế xã Cẩm Bình tiêm vắc xin sởi cho bao nhiêu trẻ mỗi buổi?").hits[0]
    assert "120 trẻ" in cam_binh.quote and "Nhân viên y tế tiêm" not in cam_binh.quote  # not the caption


def test_a_credit_before_the_lede_leaves_the_lede_to_the_next_paragraph() -> None:
    art = parse_page("Đường mới về bản\n\nẢnh: Quốc Huy\n\nĐường bê tông dài 3 km đã thông xe.\n\nThân bài.", "t.txt")
    assert art.lede == "Đường bê tông dài 3 km đã thông xe."
    assert art.text == "Đường bê tông dài 3 km đã thông xe.\n\nThân bài."
