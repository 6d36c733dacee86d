"""Messages that are not questions about the news: greetings, thanks, "ok", "hihi" — and
questions in another language. They get a short friendly line instead of a search
(which would quote sentences containing "cảm ơn", or refuse a greeting).

A message is small talk only when every word in it is a small-talk word, compared
without tone marks: "cảm ơn nhé" is, "vì sao dân cảm ơn bác sĩ" is not.
"""

from __future__ import annotations

import re
import unicodedata

from index.text import fold, has_marks, nfc

_WORD = re.compile(r"[^\W\d_]+")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


THANKS = _set("cam on camon cms thanks thank thx tks ty")
GREETING = _set("chao xin hello hi hey alo helo halo")
BYE = _set("tam biet bye goodbye")
ACK = _set("ok oke okay okie uh um uhm vang da duoc roi hihi haha hehe hoho hic kaka good tot hay "
           "qua great nice cool yeah yes")
FIRST_USE = _set("moi dung lan dau thu")
WHO = _set("ai gi")
# Words that only soften or address: they neither make nor break small talk.
FILLER = _set("nhe nha nhen ne nhi a oi bot ban minh em anh chi toi to nhieu rat lam vay the "
              "hoi bao cua voi cac ha u you la")
ALL = THANKS | GREETING | BYE | ACK | FIRST_USE | WHO | FILLER

# English words that are no Vietnamese syllable, even without tone marks.
_ENGLISH = _set("what how is are was were does did of and you your where when who why which many much "
                "price this that with for from about news there today weather please will would should "
                "could can't won't it's i'm won did has have get buy best latest")

HELLO = ("Chào bạn! 👋 Mình là <b>Hỏi Báo</b>: bạn hỏi về tin tức, mình trích đúng câu trong bài báo "
         "để trả lời, kèm đường dẫn. Gõ /start để xem câu hỏi mẫu, /topic để xem các chủ đề.")
REPLIES = {
    "thanks": "Không có gì ạ! 😊 Bạn cứ hỏi thêm về tin tức bất cứ lúc nào nhé.",
    "greeting": HELLO,
    "bye": "Tạm biệt bạn! 👋 Khi cần tin tức, cứ nhắn Hỏi Báo nhé.",
    "ack": "👍 Bạn cần tìm tin gì cứ hỏi mình nhé.",
    "who": HELLO,
}
OTHER_LANGUAGE = ("🇻🇳 Hỏi Báo chỉ đọc báo tiếng Việt — please ask in Vietnamese "
                  "(có dấu hay không dấu đều được), ví dụ: <i>giá lúa hè thu bao nhiêu</i>.")


def kind(text: str) -> str | None:
    """"thanks", "greeting", "bye", "ack", "who", "other-language", or None for a question."""
    text = nfc(text).strip()
    raw = [w.lower() for w in _WORD.findall(text)]
    if not raw:  # only emoji, digits or punctuation ("👍", ":)", "?")
        return "ack" if text and not any(c.isdigit() for c in text) else None
    if _foreign_script(text):
        return "other-language"
    words = [fold(w) for w in raw]
    if all(w in ALL for w in words) and len(words) <= 12:
        found = set(words)
        for name, vocab in (("thanks", THANKS), ("bye", BYE), ("greeting", GREETING | FIRST_USE), ("who", WHO),
                            ("ack", ACK)):
            if found & vocab:
                return name
    if not has_marks(text) and "đ" not in text.lower():
        english = sum(w in _ENGLISH for w in re.findall(r"[a-z']+", text.lower()))
        if english >= 2 or (english and english * 2 >= len(words)):
            return "other-language"
    return None


def reply_for(text: str) -> str | None:
    """The reply (Telegram HTML) to small talk or another language; None for a question."""
    k = kind(text)
    if k is None:
        return None
    return OTHER_LANGUAGE if k == "other-language" else REPLIES[k]


def _foreign_script(text: str) -> bool:
    """Mostly letters outside the Latin script (Chinese, Russian, Thai, …)."""
    letters = [c for c in text if c.isalpha()]
    latin = sum("LATIN" in unicodedata.name(c, "") for c in letters)
    return bool(letters) and latin * 2 < len(letters)
