from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from index.build import build
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
    assert "Kết quả tiếp theo" in text  # /more paged on
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
