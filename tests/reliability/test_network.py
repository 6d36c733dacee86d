"""Load and network faults through the fake Bot API: flood limits, bursts of
timeouts / resets / 502s, and questions arriving while the index is rebuilt."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.bot_harness import ADMIN, Bot, running_bot
from tests.fake_telegram import Fault
from tests.reliability.conftest import Cases

QUESTIONS = [
    "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?",
    "Ca trù Cổ Đạm có bao nhiêu thành viên?",
    "Giá lúa tươi bán tại ruộng bao nhiêu?",
    "Kỳ thi tuyển sinh lớp 10 có bao nhiêu thí sinh?",
    "Có bao nhiêu điểm chấp nhận mã QR?",
    "xa nao o Ha Tinh chuyen doi so",
    "Năng suất lúa hè thu đạt bao nhiêu tạ/ha?",
    "Bệnh án điện tử triển khai ở đâu?",
    "Câu lạc bộ ca trù được thành lập năm nào?",
    "thanh toan khong dung tien mat o cho",
]


def _distinct_questions(bot: Bot, n: int) -> list[str]:
    """Questions whose answers differ, so each reply can be told apart."""
    out, seen = [], set()
    for q in QUESTIONS:
        ans = bot.svc.answer(q)
        key = tuple(h.quote for h in ans.hits) if ans else ()
        if ans and ans.answered and key not in seen:
            seen.add(key)
            out.append(q)
    assert len(out) >= n, f"only {len(out)} questions with distinct answers"
    return out[:n]


def _ok_sends(bot: Bot) -> list:  # type: ignore[type-arg]
    return [c for c in bot.fake.calls if c.method == "sendMessage"]


@pytest.mark.group("Network: 429 retry_after=2 on every 20th send, N chats × M questions")
async def test_flood_limits_delay_but_never_lose_or_repeat_an_answer(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, long: bool, cases: Cases) -> None:
    n_chats, n_questions = (50, 10) if long else (10, 4)
    # The harness's 10 s request timeout: with 1 s, eight answers computing at once sometimes
    # held the GIL long enough for a send to time out (and, by design, be dropped).
    async with running_bot(tmp_path, caplog) as bot:
        questions = _distinct_questions(bot, n_questions)
        bot.fake.faults.append(Fault("sendMessage", 429, retry_after=2, every=20))
        chats = [5000 + i for i in range(n_chats)]
        for q in questions:  # interleaved across chats, as real traffic is
            for c in chats:
                bot.fake.push({"message": bot.fake.message(q, uid=c)})
        total = n_chats * n_questions
        assert await asyncio.to_thread(bot.fake.wait_for, lambda: len(_ok_sends(bot)) >= total, 120 + total)
    # The bot has stopped, every update it fetched handled: anything sent twice has arrived.
    ok = _ok_sends(bot)
    assert len(ok) == total
    per_chat = Counter(int(c.params["chat_id"]) for c in ok)
    assert set(per_chat.values()) == {n_questions}
    pairs = Counter((int(c.params["chat_id"]), c.params["text"]) for c in ok)
    assert set(pairs.values()) == {1}, "an answer was delivered twice"
    refused = [c for c in bot.fake.calls if c.method == "!sendMessage"]
    assert len(refused) >= total // 20 - 1
    for r in refused:
        key = (int(r.params["chat_id"]), r.params["text"])
        [delivered] = [c for c in ok if (int(c.params["chat_id"]), c.params["text"]) == key]
        assert delivered.at - r.at >= 2.0, "sent again before its retry_after"
    cases.add(total)


@pytest.mark.group("Network: bursts of timeouts, connection resets and 502s")
async def test_bursts_of_network_faults_are_survived(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, long: bool, cases: Cases) -> None:
    rounds = 5 if long else 2
    async with running_bot(tmp_path, caplog) as bot:
        questions = _distinct_questions(bot, 3)
        for r in range(rounds):
            first = Fault("getUpdates", 502, times=3)
            bot.fake.faults += [
                first, Fault("getUpdates", 0, times=3),  # 0: reset
                Fault("getUpdates", 200, times=1, delay=120, hang=True),  # held until the bot's read timeout
                # one 502 and one reset per round: never all SEND_ATTEMPTS of one message, however they interleave
                Fault("sendMessage", 502, times=1), Fault("sendMessage", 0, times=1),
                Fault("sendChatAction", 502, times=2), Fault("sendChatAction", 0, times=1),
            ]
            # the long poll in flight ends; the questions are fetched only past the faults
            assert await asyncio.to_thread(bot.fake.wait_for, lambda f=first: f.times < 3, 60)  # type: ignore[misc]
            uid = 6000 + r
            for q in questions:
                bot.fake.push({"message": bot.fake.message(q, uid=uid)})
            done = await asyncio.to_thread(
                bot.fake.wait_for, lambda u=uid: len(bot.replies(u)) >= len(questions), 120)  # type: ignore[misc]
            assert done, f"round {r}: the bot did not recover"
            assert all("<blockquote>" in t for t in bot.replies(uid))
            cases.add(len(questions))
        assert all(f.times == 0 for f in bot.fake.faults), "every injected fault was met"

        def failed() -> Counter[str]:
            return Counter(c.method for c in bot.fake.calls if c.method.startswith("!"))
        # 3 × 502, 3 resets and 1 timeout per round, each a getUpdates that failed (the fake
        # records a held call once the bot has hung up, so wait for that rather than assume it)
        assert await asyncio.to_thread(bot.fake.wait_for, lambda: failed()["!getUpdates"] >= 7 * rounds, 30)
        assert failed()["!getUpdates"] == 7 * rounds and failed()["!sendMessage"] == 2 * rounds
        # still polling: one more question, no faults left
        [reply] = await bot.ask(questions[0], uid=6999)
        assert "<blockquote>" in reply
    # stopped, every fetched update handled: each question answered once, none lost
    for r in range(rounds):
        replies = bot.replies(6000 + r)
        assert len(replies) == len(questions) == len(set(replies))


GEN_ARTICLE = """---
url: https://example.org/hoibao/the-he/{kind}
published: 2025-10-0{day}
topics: Kiểm tra
---
Bản tin {kind} thế hệ {n}

(Baohatinh.vn) - Mã {kind} của thế hệ chỉ mục hôm nay là thế hệ {n}. Mã {kind} dùng để đối chiếu thế hệ {n} của kho bài.
"""


def _write_generation_marker(articles: Path, n: int) -> None:
    for day, kind in ((1, "kiểm tra"), (2, "đối chiếu")):
        slug = "kiem-tra" if day == 1 else "doi-chieu"
        (articles / f"the-he-{slug}.txt").write_text(GEN_ARTICLE.format(kind=kind, n=n, day=day), encoding="utf-8")


@pytest.mark.group("Network: questions at 20/s during 5 rebuilds")
async def test_questions_during_rebuilds_come_from_exactly_one_generation(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, long: bool, cases: Cases) -> None:
    rebuilds = 5
    async with running_bot(tmp_path, caplog) as bot:
        _write_generation_marker(bot.articles, 0)
        bot.svc.start_rebuild()
        assert await asyncio.to_thread(bot.fake.wait_for, lambda: not bot.svc.rebuild.running, 60)
        # no "hôm nay" in it: that asks for today's articles (a date filter), not this one
        question = "Mã kiểm tra của thế hệ chỉ mục là thế hệ mấy?"
        asked, seen_gens, chat = 0, set(), 7000
        for n in range(1, rebuilds + 1):
            _write_generation_marker(bot.articles, n)
            before = bot.svc.engine
            await bot.ask("/reindex", uid=ADMIN)  # the previous rebuild has ended: this one runs
            t0 = time.monotonic()
            # Ask through the swap and until the rebuild has ended (the next /reindex must not
            # meet this one still running); the clock only shapes the load, no assertion reads it.
            while bot.svc.rebuild.running or bot.svc.engine is before or time.monotonic() - t0 < 1.0:
                bot.fake.push({"message": bot.fake.message(question, uid=chat)})
                chat, asked = chat + 1, asked + 1
                await asyncio.sleep(0.05)  # 20 questions a second
                assert time.monotonic() - t0 < 300, "rebuild did not finish"  # a hang detector
            assert bot.svc.rebuild.error is None
            # and one asked after the swap, answered before the next rebuild: generation n is
            # seen by construction, not because some question happened to be slow enough
            [after] = await bot.ask(question, uid=chat)
            assert f"thế hệ {n}" in bot.plain(after)
            chat, asked = chat + 1, asked + 1
        assert await asyncio.to_thread(
            bot.fake.wait_for, lambda: sum(len(bot.replies(c)) for c in range(7000, chat)) >= asked, 60)
    # stopped, every fetched update handled: a second reply to any question would be here
    for c in range(7000, chat):
        [reply] = bot.replies(c)
        gens = set(re.findall(r"thế hệ (\d+)", bot.plain(reply)))
        assert len(gens) == 1, f"one answer mixes generations {gens}"
        seen_gens |= gens
    assert {str(n) for n in range(1, rebuilds + 1)} <= seen_gens | {"0"} and len(seen_gens) >= rebuilds
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[0].getMessage()
    cases.add(asked)
