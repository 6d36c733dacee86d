"""First impression: small talk, other languages, refusals that suggest only related
topics, and /start examples that stand alone and are answered."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from bot import smalltalk, topics
from bot.examples import BUTTON_MAX, names_subject, start_examples, subject_of
from index.answer import Engine
from index.build import build
from index.generation import load
from tests import telegram_html
from tests.bot_harness import READER, Bot, bot
from tests.conftest import SAMPLE

__all__ = ["bot"]  # the fixture


@pytest.mark.parametrize(("text", "kind"), [
    ("cảm ơn nhé", "thanks"), ("cam on ban nhieu", "thanks"), ("Thank you!", "thanks"),
    ("chào bot, mình mới dùng lần đầu", "greeting"), ("xin chao", "greeting"), ("Hello", "greeting"),
    ("ok", "ack"), ("hihi", "ack"), ("👍", "ack"), ("tạm biệt", "bye"), ("bạn là ai?", "who"),
    ("What is the price of gold today?", "other-language"), ("今天金价多少", "other-language"),
    ("Сколько стоит золото?", "other-language"),
    ("cảm ơn bác sĩ vì điều gì?", None), ("giá lúa hè thu bao nhiêu", None), ("chuyen doi so o Ha Tinh", None),
    ("the nao la chuyen doi so", None), ("Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", None), ("2025", None),
])
def test_small_talk_is_told_from_questions(text: str, kind: str | None) -> None:
    assert smalltalk.kind(text) == kind


async def test_small_talk_gets_a_short_friendly_reply(bot: Bot) -> None:
    for text, expected in [("cảm ơn nhé", "Không có gì"), ("chào bot, mình mới dùng lần đầu", "Chào bạn"),
                           ("ok", "👍"), ("hihi", "👍"), ("What is the price of gold today?", "please ask in Vietnamese")]:
        [reply] = await bot.ask(text)
        telegram_html.check(reply)
        assert expected in reply and "<blockquote>" not in reply and "chưa tìm thấy" not in reply, text


async def test_a_refusal_suggests_only_related_topics(bot: Bot) -> None:
    markups = []
    for question in ("Giá vàng hôm nay bao nhiêu?", "Thời tiết Hà Tĩnh ngày mai thế nào?",
                     "Đội tuyển Việt Nam vô địch AFF Cup năm nào?"):
        [reply] = await bot.ask(question)
        assert "chưa tìm thấy" in reply and "chủ đề gần nhất" not in reply, question
        markups.append(bot.fake.sent("sendMessage", READER)[-1].params.get("reply_markup"))
    assert markups == [None, None, None]
    [related] = await bot.ask("Chuyển đổi số ở xã nào tốt nhất cả nước?")
    assert "chưa tìm thấy" in related and "<b>Chuyển đổi số</b>" in related


def test_related_topics_share_words_with_the_question(tmp_path: Path) -> None:
    build([SAMPLE], tmp_path / "idx", None)
    gen = load(tmp_path / "idx")
    assert topics.related(gen, "giá vàng hôm nay", []) == []
    assert topics.related(gen, "chuyen doi so o dau tot nhat", []) == ["Chuyển đổi số"]
    assert topics.related(gen, "bệnh án điện tử ở đâu", [("Bệnh viện dùng bệnh án điện tử", ("Y tế",))]) == ["Y tế"]


def test_start_examples_name_their_subject_fit_and_are_answered(tmp_path: Path) -> None:
    build([SAMPLE], tmp_path / "idx", None)
    engine = Engine(load(tmp_path / "idx"))
    start = start_examples(engine, facts=3)
    assert len(start.questions) == 3 and start.topic == "Chuyển đổi số"  # one fact per article (2 qualify), then "mới nhất"
    assert start.questions[-1] == "Tin mới nhất về bệnh viện Đa khoa tỉnh Hà Tĩnh?"
    for q in start.questions:
        assert len(q) <= BUTTON_MAX and names_subject(q) and "," not in q, q
        assert engine.answer(q).answered, q
    assert not names_subject("Huyện huy động bao nhiêu máy gặt?")
    assert subject_of("Hơn 14.000 thí sinh Hà Tĩnh bước vào kỳ thi") is None
    assert subject_of("Hà Tĩnh đẩy mạnh thanh toán không dùng tiền mặt") == "Hà Tĩnh"


async def test_start_buttons_are_whole_and_each_is_answered(bot: Bot) -> None:
    [greeting] = await bot.ask("/start")
    assert "Hỏi Báo" in greeting
    rows = bot.fake.sent("sendMessage", READER)[-1].params["reply_markup"]["inline_keyboard"]
    questions = [b for row in rows[:-1] for b in row]  # the last row browses: a topic, the newest
    browse = [b["text"][0] for b in rows[-1]]
    assert len(questions) == 2 and browse == ["🗂", "🆕"]
    for i, button in enumerate(questions):
        assert len(button["text"]) <= BUTTON_MAX and not button["text"].endswith("…")
        n = len(bot.replies(READER))
        bot.fake.push({"callback_query": {"id": f"s{i}", "from": bot.fake.user(READER), "chat_instance": "x",
                                          "data": button["callback_data"],
                                          "message": {"message_id": 5, "date": 0, "text": "x",
                                                      "chat": {"id": READER, "type": "private"}}}})
        assert await asyncio.to_thread(bot.fake.wait_for, functools.partial(_more_than, bot, n), 30)
        assert "<blockquote>" in bot.replies(READER)[n], button["text"]
    for button, head in zip(rows[-1], ("🗂 Chủ đề <b>Chuyển đổi số</b>", "🆕 Tin mới nhất — trang 1/2"), strict=True):
        n = len(bot.replies(READER))
        bot.press(button["callback_data"], text=greeting)
        assert await asyncio.to_thread(bot.fake.wait_for, functools.partial(_more_than, bot, n), 30)
        assert bot.replies(READER)[n].startswith(head)


def _more_than(bot: Bot, n: int) -> bool:
    return len(bot.replies(READER)) > n
