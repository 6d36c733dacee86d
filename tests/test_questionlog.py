"""The question log: masking, keyed user hashes, migrations, retention, the old feedback file,
and a log filled through the real bot (fake Bot API) and through the console."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import io
import json
import shutil
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import questionlog
from bot.console import run_console
from bot.questionlog import DAY, MIGRATIONS, Entry, QuestionLog, mask, open_log
from bot.service import IndexService
from bot.settings import BotSettings
from index.build import build
from index.settings import IndexSettings
from tests.bot_harness import READER, running_bot
from tests.conftest import SAMPLE

T0 = 1_800_000_000.0  # a fixed "now": nothing here depends on the wall clock


def rows(path: Path, cols: str = "*") -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(f"SELECT {cols} FROM questions ORDER BY id").fetchall()


@pytest.mark.parametrize(("text", "expected"), [
    ("Số 0912 345 678 là của ai?", "Số [số điện thoại] là của ai?"),
    ("gọi 0912.345.678 nhé", "gọi [số điện thoại] nhé"),
    ("gọi 0912-345-678", "gọi [số điện thoại]"),
    ("gọi 0912345678", "gọi [số điện thoại]"),
    ("+84 912 345 678 của ai", "[số điện thoại] của ai"),
    ("(+84)912345678", "[số điện thoại]"),
    ("máy bàn 0239 3855 555", "máy bàn [số điện thoại]"),
    ("CCCD 042199012345 bị mất", "CCCD [số CCCD] bị mất"),
    ("CCCD 042 199 012 345", "CCCD [số CCCD]"),
    ("CMND 183456789 hết hạn", "CMND [số CMND] hết hạn"),
    ("gửi nguyen.van.a+tin@baohatinh.vn giúp", "gửi [email] giúp"),
    ("email a@b.co, sđt 0987654321", "email [email], sđt [số điện thoại]"),
    # not personal data: money, counts, years, codes stay as typed
    ("Dự án 100.000.000.000 đồng?", "Dự án 100.000.000.000 đồng?"),
    ("Hơn 14.000 thí sinh năm 2025, 3,5 tỷ đồng", "Hơn 14.000 thí sinh năm 2025, 3,5 tỷ đồng"),
    ("Nghị quyết 05-NQ/TU có gì?", "Nghị quyết 05-NQ/TU có gì?"),
    ("Quốc lộ 1A km 12345", "Quốc lộ 1A km 12345"),
])
def test_mask(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_questions_are_masked_before_they_are_stored(tmp_path: Path) -> None:
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    qlog.record(Entry(T0, "Ai dùng số 0912 345 678 và email x@y.vn?", False))
    raw = b"".join(f.read_bytes() for f in tmp_path.glob("q.sqlite3*"))  # the WAL too, if any
    assert b"0912" not in raw and b"x@y.vn" not in raw
    assert rows(tmp_path / "q.sqlite3", "question") == [("Ai dùng số [số điện thoại] và email [email]?",)]


def test_schema_version_wal_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "var" / "q.sqlite3"
    QuestionLog(path, b"k").record(Entry(T0, "câu hỏi một", True))
    QuestionLog(path, b"k").record(Entry(T0, "câu hỏi hai", True))  # reopening migrates nothing twice
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(rows(path)) == 2


def test_user_is_an_hmac_under_a_generated_secret_kept_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "q.sqlite3"
    first = open_log(path, None)
    assert first is not None
    secret_file = tmp_path / "var" / questionlog.SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600 == stat.S_IMODE(path.stat().st_mode)
    secret = secret_file.read_text().strip().encode()
    first.record(Entry(T0, "câu hỏi", True), user_id=4242)
    again = open_log(path, None)  # the next start reuses the secret: one reader, one key
    assert again is not None
    again.record(Entry(T0, "câu hỏi", True), user_id=4242)
    keys = [u for (u,) in rows(path, "user")]
    assert keys == [hmac.new(secret, b"4242", hashlib.sha256).hexdigest()] * 2
    assert keys[0] != hashlib.sha256(b"4242").hexdigest() and "4242" not in keys[0]
    other = open_log(tmp_path / "other.sqlite3", "secret-from-the-environment")
    assert other is not None and other.user_key(4242) == hmac.new(
        b"secret-from-the-environment", b"4242", hashlib.sha256).hexdigest() != keys[0]


def test_retention_deletes_exactly_the_rows_older_than_the_period(tmp_path: Path) -> None:
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    ages = {"old": 200 * DAY, "just-over": 90 * DAY + 1, "exactly-90-days": 90 * DAY, "recent": 3 * DAY, "now": 0}
    for name, age in ages.items():
        qlog.record(Entry(T0 - age, name, True))
    assert qlog.purge(90, now=T0) == 2
    assert [q for (q,) in rows(tmp_path / "q.sqlite3", "question")] == ["exactly-90-days", "recent", "now"]
    assert qlog.purge(90, now=T0) == 0
    assert qlog.purge(1, now=T0) == 2
    assert [q for (q,) in rows(tmp_path / "q.sqlite3", "question")] == ["now"]


def test_votes_go_on_the_readers_latest_asking(tmp_path: Path) -> None:
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    qlog.record(Entry(T0, "Giá lúa bao nhiêu?", True), user_id=1)
    qlog.record(Entry(T0 + 5, "Giá lúa bao nhiêu?", True), user_id=1)
    qlog.record(Entry(T0 + 9, "Giá lúa bao nhiêu?", True), user_id=2)
    qlog.vote("Giá lúa bao nhiêu?", 1, user_id=1)
    qlog.vote("Giá lúa bao nhiêu?", -1, user_id=1)  # changed their mind: the later vote counts
    qlog.vote("Câu hỏi từ trước khi có nhật ký", 1, user_id=3, hits=["a1"], at=T0)
    assert rows(tmp_path / "q.sqlite3", "vote, hits") == [
        (None, "[]"), (-1, "[]"), (None, "[]"), (1, '["a1"]')]


def test_feedback_jsonl_is_moved_in_once_then_retired(tmp_path: Path) -> None:
    fb = tmp_path / "feedback.jsonl"
    lines = [{"time": "2026-10-01T02:00:00Z", "question": "Gọi 0912345678 hỏi gì?", "hits": ["a1"], "vote": 1,
              "user": "0123456789abcdef"},
             {"time": "2026-10-02T02:00:00Z", "question": "Lúa hè thu?", "hits": [], "vote": -1, "user": "fedcba"}]
    fb.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n", encoding="utf-8")
    copy = fb.read_bytes()
    path = tmp_path / "var" / "q.sqlite3"
    open_log(path, "s", fb)
    assert not fb.exists() and (tmp_path / "feedback.jsonl.migrated").read_bytes() == copy
    assert rows(path, "at, question, answered, hits, vote, user") == [
        (datetime(2026, 10, 1, 2, tzinfo=UTC).timestamp(), "Gọi [số điện thoại] hỏi gì?", 1, '["a1"]', 1, None),
        (datetime(2026, 10, 2, 2, tzinfo=UTC).timestamp(), "Lúa hè thu?", 1, "[]", -1, None)]  # the old unsalted hash is not carried over
    fb.write_bytes(copy)  # a crash after the import but before the rename: replaying adds nothing
    open_log(path, "s", fb)
    assert len(rows(path)) == 2 and not fb.exists()


def test_question_log_off_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert BotSettings.from_env().question_log_file == Path("var/questions.sqlite3")
    assert BotSettings.from_env().question_log_days == 90
    monkeypatch.setenv("QUESTION_LOG_FILE", "/data/q.db")
    monkeypatch.setenv("QUESTION_LOG_DAYS", "30")
    s = BotSettings.from_env()
    assert s.question_log_file == Path("/data/q.db") and s.question_log_days == 30
    monkeypatch.setenv("QUESTION_LOG", "off")
    assert BotSettings.from_env().question_log_file is None
    assert open_log(None, None) is None


async def test_a_log_filled_through_the_real_bot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(tmp_path, caplog) as bot:
        await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
        await bot.ask("Đội tuyển Việt Nam vô địch AFF Cup năm nào? Gọi 0912 345 678")
        await bot.ask("/hoi Ca trù Cổ Đạm có bao nhiêu thành viên?", chat_id=-500, chat_type="supergroup")
        await bot.ask("xin chào")  # a greeting is not a question: not logged
        call = bot.fake.sent("sendMessage", READER)[0]
        fb = next(b for b in call.params["reply_markup"]["inline_keyboard"][0] if b["text"] == "👎")
        bot.fake.push({"callback_query": {"id": "cb1", "from": bot.fake.user(READER), "chat_instance": "x",
                                          "data": fb["callback_data"], "message": {
                                              "message_id": 1, "date": 0, "text": "x",
                                              "chat": {"id": READER, "type": "private"}}}})
        assert await asyncio.to_thread(bot.fake.wait_for, lambda: bool(bot.fake.sent("answerCallbackQuery")))
        assert bot.svc.engine is not None
        articles = {a.id: a for a in bot.svc.engine.gen.articles}
    db = tmp_path / "var" / "questions.sqlite3"
    secret = (tmp_path / "var" / questionlog.SECRET_FILE).read_text().strip().encode()
    got = rows(db, "question, answered, hits, topics, latency_ms, vote, chat_type, user, confidence")
    assert [(q, a, c) for q, a, _, _, _, _, c, _, _ in got] == [
        ("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", 1, "private"),
        ("Đội tuyển Việt Nam vô địch AFF Cup năm nào? Gọi [số điện thoại]", 0, "private"),
        ("Ca trù Cổ Đạm có bao nhiêu thành viên?", 1, "group")]
    first = got[0]
    best = articles[json.loads(str(first[2]))[0]]  # hits, and the first hit's topics
    assert best.url is not None and best.url.endswith("benh-vien-khong-giay")
    assert json.loads(str(first[3])) == list(best.topics) and "Y tế" in best.topics
    assert all(isinstance(r[4], float) and r[4] > 0 for r in got)  # latency measured
    assert all(isinstance(r[8], float) for r in got)
    assert [r[5] for r in got] == [-1, None, None]
    assert {r[7] for r in got} == {hmac.new(secret, str(READER).encode(), hashlib.sha256).hexdigest()}
    assert str(READER).encode() not in db.read_bytes()


async def test_the_retention_job_runs_at_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import time

    qlog = QuestionLog(tmp_path / "var" / "questions.sqlite3", b"k")
    qlog.record(Entry(time.time() - 200 * DAY, "rất cũ", True))  # far past any edge of the 90 days
    qlog.record(Entry(time.time() - 2 * DAY, "mới", True))
    async with running_bot(tmp_path, caplog) as bot:
        gone = await asyncio.to_thread(bot.fake.wait_for, lambda: len(rows(qlog.path)) == 1)
        assert gone and rows(qlog.path, "question") == [("mới",)]


def test_a_log_filled_through_the_console(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLE, articles)
    build([articles], tmp_path / "idx", None)
    svc = IndexService(IndexSettings(tmp_path / "idx", articles, None))
    svc.load()
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    stdin = io.StringIO("Giá lúa tươi bán tại ruộng bao nhiêu?\n/more\nGiá vàng hôm nay bao nhiêu?\nxin chào\n/quit\n")
    run_console(svc, stdin, io.StringIO(), qlog)
    assert rows(qlog.path, "question, answered, chat_type, user") == [
        ("Giá lúa tươi bán tại ruộng bao nhiêu?", 1, "console", None),
        ("Giá vàng hôm nay bao nhiêu?", 0, "console", None)]  # /more and the greeting are not questions
