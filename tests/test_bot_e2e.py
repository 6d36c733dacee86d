"""The real PTB Application against a fake Bot API server, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import time
from pathlib import Path

from bot.settings import parse_admin_ids
from index.build import build
from tests import telegram_html
from tests.bot_harness import ADMIN, READER, Bot, bot
from tests.fake_telegram import BOT_ID, BOT_USERNAME, Fault

__all__ = ["bot"]  # the fixture



async def test_question_gets_a_valid_quoted_answer_with_link(bot: Bot) -> None:
    t = time.perf_counter()
    [reply] = await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
    elapsed = time.perf_counter() - t
    telegram_html.check(reply)
    assert "<blockquote>" in reply and "3,5 tỷ đồng" in reply
    assert 'href="https://example.org/hoibao/mau/benh-vien-khong-giay"' in reply
    call = bot.fake.sent("sendMessage", READER)[-1]
    markup = call.params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in markup][-2:] == ["👍", "👎"]
    assert bot.fake.sent("sendChatAction", READER)  # "typing" was shown
    times = [elapsed]
    for q in ("Ca trù Cổ Đạm có bao nhiêu thành viên?", "Giá lúa tươi bán tại ruộng bao nhiêu?",
              "Kỳ thi tuyển sinh lớp 10 có bao nhiêu thí sinh?", "Có bao nhiêu điểm chấp nhận mã QR?") * 5:
        t = time.perf_counter()
        await bot.ask(q)
        times.append(time.perf_counter() - t)
    ms = sorted(x * 1000 for x in times)
    print(f"\nper-answer latency through the fake Bot API (update pushed → sendMessage received), "
          f"n={len(ms)}: p50 {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms")


async def test_unaccented_question_and_feedback_button(bot: Bot, tmp_path: Path) -> None:
    [reply] = await bot.ask("benh vien tiet kiem bao nhieu tien moi nam")
    assert "3,5 tỷ đồng" in reply
    call = bot.fake.sent("sendMessage", READER)[-1]
    fb = next(b for b in call.params["reply_markup"]["inline_keyboard"][0] if b["text"] == "👍")
    bot.fake.push({"callback_query": {"id": "cb1", "from": bot.fake.user(READER), "chat_instance": "x",
                                      "data": fb["callback_data"],
                                      "message": {"message_id": 1, "date": 0, "chat": {"id": READER, "type": "private"},
                                                  "text": "x"}}})
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: bool(bot.fake.sent("answerCallbackQuery")))
    # the vote is on the question's row in the log (written before the callback is answered)
    with contextlib.closing(sqlite3.connect(tmp_path / "var" / "questions.sqlite3")) as db:
        [(vote, user)] = db.execute("SELECT vote, user FROM questions WHERE vote IS NOT NULL").fetchall()
    assert vote == 1 and str(READER) not in user  # the user id is a keyed hash


async def test_unanswerable_question_gets_the_refusal(bot: Bot) -> None:
    [reply] = await bot.ask("Đội tuyển Việt Nam vô địch AFF Cup năm nào?")
    telegram_html.check(reply)
    assert "chưa tìm thấy" in reply and "<blockquote>" not in reply


async def test_topic_with_paging(bot: Bot) -> None:
    for i in range(7):  # enough articles for two pages
        (bot.articles / f"cds-{i}.txt").write_text(
            f"---\nurl: https://example.org/cds/{i}\npublished: 2025-08-{10 + i:02d}\ntopics: Chuyển đổi số\n---\n"
            f"Bản tin chuyển đổi số số {i}\n\n(Baohatinh.vn) - Tin thứ {i} về chuyển đổi số ở Hà Tĩnh.\n",
            encoding="utf-8")
    build([bot.articles], bot.svc.index_dir, None)
    bot.svc.load()
    [page1] = await bot.ask("/topic chuyen doi so")
    telegram_html.check(page1)
    assert "trang 1/2" in page1 and "Bản tin chuyển đổi số số 6" in page1  # newest first
    nav = bot.fake.sent("sendMessage", READER)[-1].params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in nav] == ["▶"]
    bot.fake.push({"callback_query": {"id": "cb2", "from": bot.fake.user(READER), "chat_instance": "x",
                                      "data": nav[0]["callback_data"],
                                      "message": {"message_id": 7, "date": 0, "chat": {"id": READER, "type": "private"},
                                                  "text": page1.replace("<b>", "").replace("</b>", "")}}})
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: bool(bot.fake.sent("editMessageText")))
    page2 = bot.fake.sent("editMessageText")[-1].params["text"]
    telegram_html.check(page2)
    assert "trang 2/2" in page2
    [topics] = await bot.ask("/topic")
    assert "Chọn một chủ đề" in topics
    [unknown] = await bot.ask("/topic nong nghiep cong nghe cao")
    assert "Nông nghiệp" in unknown


async def test_group_needs_a_mention_a_reply_or_hoi(bot: Bot) -> None:
    group = -500
    bot.fake.push({"message": bot.fake.message("Bệnh viện tiết kiệm bao nhiêu tiền?", uid=READER, chat_id=group,
                                               chat_type="group")})
    [reply] = await bot.ask("/hoi Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", chat_id=group, chat_type="group")
    assert "3,5 tỷ đồng" in reply
    text = f"@{BOT_USERNAME} ca trù Cổ Đạm có bao nhiêu thành viên?"
    [reply2] = await bot.ask(text, chat_id=group, chat_type="group",
                             entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}])
    assert "25 thành viên" in reply2
    assert len(bot.replies(group)) == 2  # the unaddressed message got nothing


async def test_reindex_by_admin_swaps_the_generation(bot: Bot) -> None:
    old = bot.svc.engine
    assert old is not None
    (bot.articles / "moi.txt").write_text(
        "---\nurl: https://example.org/moi\npublished: 2025-09-01\n---\nCầu Rào Tre hoàn thành\n\n"
        "(Baohatinh.vn) - Cầu Rào Tre dài 86 mét đã thông xe sáng 1/9.\n", encoding="utf-8")
    [progress] = await bot.ask("/reindex", uid=ADMIN)
    assert "Đang xây lại" in progress
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: any(
        "Xong" in c.params["text"] for c in bot.fake.sent("editMessageText")), 60)
    edits = bot.fake.sent("editMessageText")
    assert all(b.at - a.at >= 1.9 for a, b in itertools.pairwise(edits))
    assert bot.svc.engine is not old and bot.svc.engine is not None
    [reply] = await bot.ask("Cầu Rào Tre dài bao nhiêu mét?")
    assert "86 mét" in bot.plain(reply) and "https://example.org/moi" in reply


async def test_reindex_refused_for_others(bot: Bot) -> None:
    before = bot.svc.engine
    [r1] = await bot.ask("/reindex", uid=READER)
    assert "chỉ dành cho quản trị viên" in r1
    [r2] = await bot.ask("/reindex", uid=1087968824)
    assert "chỉ dành cho quản trị viên" in r2
    [r3] = await bot.ask("/stats", uid=READER)
    assert "chỉ dành cho quản trị viên" in r3
    # an admin's edited message is ignored entirely
    n = len(bot.replies(ADMIN))
    bot.fake.push({"edited_message": {**bot.fake.message("/reindex", uid=ADMIN), "edit_date": int(time.time())}})
    await bot.ask("/help", uid=READER)  # a later update is processed, so the edit was seen
    assert len(bot.replies(ADMIN)) == n and not bot.svc.rebuild.running and bot.svc.engine is before
    [stats] = await bot.ask("/stats", uid=ADMIN)
    assert "Câu hỏi đã trả lời" in stats


async def test_429_is_retried_after_retry_after_and_delivered_once(bot: Bot) -> None:
    bot.fake.faults.append(Fault("sendMessage", 429, times=1, retry_after=1))
    [reply] = await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", wait=20)
    assert "3,5 tỷ đồng" in reply
    failed = [c for c in bot.fake.calls if c.method == "!sendMessage"]
    ok = bot.fake.sent("sendMessage", READER)
    assert len(failed) == 1 and len(ok) == 1
    assert ok[0].at - failed[0].at >= 1.0


async def test_server_errors_and_timeouts_are_survived(bot: Bot) -> None:
    bot.fake.faults.append(Fault("sendMessage", 500, times=1))
    bot.fake.push({"message": bot.fake.message("Ca trù Cổ Đạm có bao nhiêu thành viên?", uid=READER)})
    assert await asyncio.to_thread(bot.fake.wait_for,
                                   lambda: any(c.method == "!sendMessage" for c in bot.fake.calls))
    first = Fault("getUpdates", 502, times=2)
    bot.fake.faults.append(first)
    # held until the bot's own read timeout runs out: a timeout by construction, not by a guess
    bot.fake.faults.append(Fault("getUpdates", 200, times=1, delay=120, hang=True))
    # the long poll in flight ends first, so the question is fetched only past the faults
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: first.times < 2)
    [reply] = await bot.ask("Ca trù Cổ Đạm có bao nhiêu thành viên?", wait=120)
    assert "25 thành viên" in reply
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: sum(
        c.method == "!getUpdates" for c in bot.fake.calls) == 3)  # 2 × 502 and the timeout


async def test_greeting_is_not_a_question(bot: Bot) -> None:
    [reply] = await bot.ask("xin chào")
    assert "Chào bạn" in reply and "<blockquote>" not in reply
    [start] = await bot.ask("/start")
    assert "Hỏi Báo" in start
    buttons = bot.fake.sent("sendMessage", READER)[-1].params["reply_markup"]["inline_keyboard"]
    assert len(buttons) == 3


def test_bot_id_constant_is_not_an_admin() -> None:
    assert BOT_ID not in parse_admin_ids(f"{ADMIN}")
    assert parse_admin_ids("") == frozenset() and parse_admin_ids("@boss,12") == frozenset()
    assert parse_admin_ids("12, 777000") == frozenset({12})


async def test_failed_rebuild_reports_and_keeps_serving(bot: Bot) -> None:
    before = bot.svc.engine
    for f in bot.articles.iterdir():
        f.write_bytes(b"\x00\x01binary")  # every article becomes unreadable: the build must fail
    [progress] = await bot.ask("/reindex", uid=ADMIN)
    assert "Đang xây lại" in progress
    [again] = await bot.ask("/reindex", uid=ADMIN)  # a second /reindex while one runs, or its end
    assert "Đang xây lại" in again or "thất bại" in again
    assert await asyncio.to_thread(bot.fake.wait_for, lambda: any(
        "thất bại" in c.params["text"] for c in bot.fake.sent("editMessageText")), 60)
    assert bot.svc.engine is before
    [reply] = await bot.ask("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?")
    assert "3,5 tỷ đồng" in reply
