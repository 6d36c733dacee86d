"""kill -9 of the real bot process between queueing a push and sending it: after a
restart the push is delivered, once. The bot runs as `python -m bot` against the fake
Bot API; the push is held in the queue by construction (its chat answers 429 with
retry_after=30, so the worker has put the row back to "queued" and is waiting) when
the process is killed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

from bot.alerts.matching import VIETNAM
from index.build import build
from tests.conftest import SAMPLE
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).parent.parent
TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
ADMIN, READER = 1001, 2002
TITLE = "Cầu Rào Tre hoàn thành sau hai năm thi công"


def _states(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())


def _pushes(fake: FakeTelegram) -> list[str]:
    return [c.params["text"] for c in fake.sent("sendMessage", READER) if TITLE in c.params["text"]]


def _start(env: dict[str, str], cwd: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)


def test_kill_9_between_queueing_and_sending_delivers_once_after_restart(tmp_path: Path) -> None:
    articles, index_dir, db = tmp_path / "articles", tmp_path / "index", tmp_path / "alerts.sqlite3"
    shutil.copytree(SAMPLE, articles)
    build([articles], index_dir, None)
    fake = FakeTelegram(TOKEN).start()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.url,
           "INDEX_DIR": str(index_dir), "ARTICLES_DIR": str(articles), "EMBEDDING_MODEL": "none",
           "ADMIN_USER_IDS": str(ADMIN), "ALERTS_DB": str(db), "LOG_LEVEL": "INFO", "QUESTION_LOG": "off"}
    procs: list[subprocess.Popen[bytes]] = []
    with (tmp_path / "bot.log").open("wb") as log:
        try:
            procs.append(_start(env, tmp_path, log))
            fake.push({"message": fake.message("/theodoi cau rao tre", uid=READER)})
            assert fake.wait_for(lambda: any("Đã theo dõi" in c.params["text"]
                                             for c in fake.sent("sendMessage", READER)), 120)
            fake.flooded[READER] = 30  # the push is refused with retry_after=30: it goes back to the queue
            published = datetime.now(VIETNAM).date().isoformat()
            (articles / "cau.txt").write_text(f"---\nurl: https://example.org/cau\npublished: {published}\n---\n"
                                              f"{TITLE}\n\n(Baohatinh.vn) - {TITLE}.\n", encoding="utf-8")
            fake.push({"message": fake.message("/reindex", uid=ADMIN)})
            assert fake.wait_for(lambda: bool(fake.sent("!sendMessage", READER)), 120)
            assert fake.wait_for(lambda: _states(db) == {"queued": 1}, 30)
            procs[0].kill()  # SIGKILL: no clean-up of any kind
            procs[0].wait(30)
            del fake.flooded[READER]
            procs.append(_start(env, tmp_path, log))
            assert fake.wait_for(lambda: bool(_pushes(fake)), 120)
            assert fake.wait_for(lambda: _states(db) == {"sent": 1}, 30)
            procs[1].terminate()  # a clean stop: PTB drains what it started
            procs[1].wait(60)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(30)
            fake.stop()
    assert len(_pushes(fake)) == 1, (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    assert procs[0].returncode == -9
    assert TOKEN not in (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")
