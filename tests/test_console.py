from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import PROMPT, run_console
from bot.service import IndexService
from index.build import build
from index.settings import IndexSettings
from tests.conftest import SAMPLE

ROOT = Path(__file__).parent.parent


def test_console_answers_topics_and_paging_through_stdin(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build([SAMPLE], idx, None)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INDEX_DIR": str(idx), "ARTICLES_DIR": str(SAMPLE),
           "EMBEDDING_MODEL": "none", "LOG_LEVEL": "WARNING"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    stdin = "\n".join(["Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", "/more", "/topic chuyen doi so",
                       "/topic", "xin chào", "Giá vàng hôm nay là bao nhiêu?", "/quit"]) + "\n"
    out = subprocess.run([sys.executable, "-m", "bot", "--console"], input=stdin.encode(), env=env,
                         capture_output=True, timeout=120, check=True, cwd=tmp_path)
    text = out.stdout.decode()
    assert "│ " in text and "3,5 tỷ đồng" in text and "(https://example.org/hoibao/mau/benh-vien-khong-giay)" in text
    # the sample holds one article on it: no "Xem thêm" leads to unrelated quotes
    assert "Kết quả tiếp theo" not in text and "Không có gì để xem thêm" in text
    assert "Chủ đề *Chuyển đổi số* — trang 1/1" in text
    assert "Chuyển đổi số (3)" in text
    assert "Chào bạn" in text and "chưa tìm thấy" in text
    assert "<b>" not in text and "&amp;" not in text


def test_no_token_points_to_env_example_and_console(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build([SAMPLE], idx, None)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INDEX_DIR": str(idx), "EMBEDDING_MODEL": "none"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "bot"], input=b"/quit\n", env=env, capture_output=True,
                         timeout=120, check=True, cwd=tmp_path)
    err = out.stderr.decode()
    assert "TELEGRAM_BOT_TOKEN is not set" in err and ".env.example" in err


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> IndexService:
    idx = tmp_path_factory.mktemp("console") / "idx"
    build([SAMPLE], idx, None)
    service = IndexService(IndexSettings(idx, SAMPLE, None))
    service.load()
    return service


def _session(svc: IndexService, *lines: str) -> list[str]:
    """What the console printed after each line (the banner dropped)."""
    out = io.StringIO()
    run_console(svc, io.StringIO("\n".join([*lines, "/quit"]) + "\n"), out)
    return out.getvalue().split(PROMPT)[1:len(lines) + 1]


def test_start_shows_the_examples_and_one_is_pressed(svc: IndexService) -> None:
    start, newest, _, example = _session(svc, "/start", "/4", "/start", "/2")  # a reply's buttons replace the last
    assert "Xin chào" in start and "chưa tìm thấy" not in start  # not answered as a question
    assert "\n/2 Tin mới nhất về bệnh viện Đa khoa tỉnh Hà Tĩnh?\n" in start  # the examples, a line each
    assert "\n/3 🗂 Chuyển đổi số  ·  /4 🆕 Tin mới nhất" in start
    assert "│ " in example  # the first example question, answered with a quote
    assert "🆕 Tin mới nhất — trang 1/2" in newest and "/next ▶" in newest


def test_a_bare_next_has_nothing_to_page(svc: IndexService) -> None:
    nxt, prev, more, button = _session(svc, "/next", "/prev", "/more", "/7")
    assert "Không có trang tiếp theo" in nxt and "Không có trang trước" in prev
    assert "Không có gì để xem thêm" in more and "Không có lệnh hay nút này" in button
    assert all("chưa tìm thấy" not in out and "Chào bạn" not in out for out in (nxt, prev, more, button))


def test_next_after_a_failed_topic_pages_nothing(svc: IndexService) -> None:
    moi, failed, nxt, near = _session(svc, "/moi", "/topic chuyen doi", "/next", "/1")
    assert "trang 1/2" in moi and "/next ▶" in moi
    assert "Không có chủ đề «chuyen doi»" in failed and "/1 🗂 Chuyển đổi số" in failed
    assert "Không có trang tiếp theo" in nxt and "trang 2/2" not in nxt  # not the /moi pages before it
    assert "Chủ đề *Chuyển đổi số* — trang 1/1" in near  # the suggestion's button, pressed


def test_paging_presses_the_buttons_the_handlers_sent(svc: IndexService) -> None:
    page1, page2, back, again = _session(svc, "/moi", "/next", "/prev", "/prev")
    assert "trang 1/2" in page1 and "trang 2/2" in page2 and "/prev ◀" in page2 and "trang 1/2" in back
    assert "Không có trang trước" in again
