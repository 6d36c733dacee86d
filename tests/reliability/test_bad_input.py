"""Bad input: hostile text through the parser, the normaliser, the question path
and the renderer; paths that try to leave ARTICLES_DIR or the generation."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from index import store
from index.answer import Answer, Engine, Hit
from index.articles import Article, BadArticle, parse_page, read_articles
from index.build import build
from index.chunks import article_sentences
from index.generation import load
from index.text import Analyzer, fold, nfc, normalize
from tests import telegram_html
from tests.conftest import SAMPLE
from tests.reliability.conftest import Cases

HOSTILE = [
    "\ud800", "\udfff", "a\ud83d", "\u200b", "\u200c\u200d", "\ufeff", "\u202e", "\u2066\u2069", "\u061c",
    "a" + "\u0301" * 10_000, "x" * 100_000, "<script>alert(1)</script>", "&", "&amp;", "&#0;", "<b>", "</blockquote>",
    "<a href='javascript:1'>", "\x00", "\r\n\r\n", "---\n", "Hoà", unicodedata.normalize("NFD", "Chuyển đổi số 18,72%"),
    "KHCN", "6/63", "🇻🇳", "\U0010ffff", "\t" * 50, "Đọc thêm:",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200)), max_size=12).map("".join)
# `cases` is shared across examples on purpose: it only counts them.
EXAMPLES = 300 if os.environ.get("HOIBAO_LONG") == "1" or "--long" in sys.argv else 60
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    index_dir = tmp_path_factory.mktemp("idx")
    build([SAMPLE], index_dir, None)
    return Engine(load(index_dir), None)


@pytest.mark.group("Bad input: fuzzed article parser (surrogates, NFD, zero-width, bidi, 10k marks, huge lines)")
@FUZZ
@given(title=hostile_text, body=hostile_text)
def test_parser_survives_hostile_pages(title: str, body: str, cases: Cases) -> None:
    cases.add()
    for page in (f"{title}\n\n{body}", f"---\nurl: {title[:50]}\ntopics: {title[:80]}\n---\n{title}\n\n{body}"):
        try:
            art = parse_page(page, "fuzz")
        except BadArticle:
            continue
        assert art.title and art.text
        (art.title + art.text).encode("utf-8")  # no lone surrogate survives
        spans = article_sentences(art.text)
        assert all(0 <= a < b <= len(art.text) for a, b in spans)


@pytest.mark.group("Bad input: fuzzed normaliser and question path")
@FUZZ
@given(text=hostile_text)
def test_normaliser_and_questions_survive_hostile_text(text: str, engine: Engine, cases: Cases) -> None:
    cases.add()
    n = nfc(text)
    n.encode("utf-8")
    assert nfc(n) == n and normalize(normalize(text)) == normalize(text)
    assert fold(fold(text)) == fold(text)
    a = Analyzer({"khcn": "khoa học công nghệ"})
    assert a.terms(text) == a.terms(unicodedata.normalize("NFD", n))
    ans = engine.answer(text[:2000], k=3)
    for h in ans.hits:
        h.quote.encode("utf-8")


@pytest.mark.group("Bad input: fuzzed renderer (valid Telegram HTML, ≤ 4096 after parsing)")
@FUZZ
@given(quote=hostile_text, title=hostile_text, url=hostile_text, question=hostile_text)
def test_renderer_always_emits_valid_short_messages(quote: str, title: str, url: str, question: str,
                                                    cases: Cases) -> None:
    cases.add()
    quote = nfc(quote) or "x"
    hit = Hit(article_id="a", title=nfc(title) or "t", url=nfc(url) or None, published="2025-05-17",
              topics=(nfc(title)[:40],), quote=quote, quote_span=(0, len(quote)), context=quote + quote,
              context_span=(0, 2 * len(quote)), score=1.0, highlights=((0, min(3, len(quote))),))
    messages = render.answer_messages(Answer(nfc(question), True, 0.9, (hit, hit)))
    messages.append(render.refusal_message(nfc(question), [nfc(title), "Chuyển đổi số"]))
    art = Article(id="a", url=nfc(url) or None, title=nfc(title) or "t", published=None,
                  topics=(), lede="", captions=(), text=quote, related=())
    messages.append(render.topic_page(nfc(title), [art] * 5, 1, 3))
    for m in messages:
        assert render.visible_length(m) <= 4096
        telegram_html.check(m)


@pytest.mark.group("Bad input: path traversal and symlinks out of ARTICLES_DIR / the generation")
def test_paths_out_of_the_articles_folder_are_refused(tmp_path: Path, cases: Cases) -> None:
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    (secret_dir / "s.txt").write_text("Bí mật quốc gia\n\nKhông được đọc.\n", encoding="utf-8")
    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "ok.txt").write_text("Bài thật\n\nNội dung thật.\n", encoding="utf-8")
    (root / "abs.txt").symlink_to(secret_dir / "s.txt")
    (root / "rel.txt").symlink_to(Path("..") / "secret" / "s.txt")
    (root / "sub" / "deep.txt").symlink_to(Path("..") / ".." / "secret" / "s.txt")
    (root / "dir").symlink_to(secret_dir, target_is_directory=True)
    (root / "sub" / "chain.txt").symlink_to(root / "rel.txt")
    (root / "inside.txt").symlink_to(root / "ok.txt")  # a link that stays inside is fine
    res = read_articles([root])
    titles = [a.title for a in res.articles]
    assert "Bí mật quốc gia" not in titles and "Bài thật" in titles
    refused = {Path(s.source).name for s in res.skipped}
    assert {"abs.txt", "rel.txt", "deep.txt", "chain.txt"} <= refused | {"dir"}
    cases.add(6)
    # an index whose CURRENT or manifest points outside its folder is refused
    index_dir = tmp_path / "index"
    build([root], index_dir, None)
    for bad in ("../../secret", "/etc", ".hidden", "x.partial"):
        current = (index_dir / "CURRENT").read_text(encoding="utf-8")
        (index_dir / "CURRENT").write_text(bad + "\n", encoding="utf-8")
        with pytest.raises(store.IndexUnavailable):
            load(index_dir)
        (index_dir / "CURRENT").write_text(current, encoding="utf-8")
        cases.add()
    gen = store.current_path(index_dir)
    assert gen is not None
    m = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    m["files"]["../../secret/s.txt"] = "0" * 64
    (gen / store.MANIFEST).write_text(json.dumps(m), encoding="utf-8")
    (gen / store.MANIFEST_SUM).write_text(store.sha256_file(gen / store.MANIFEST), encoding="utf-8")
    with pytest.raises(store.IndexUnavailable, match="outside the generation"):
        load(index_dir)
    cases.add()
    assert os.access(secret_dir / "s.txt", os.R_OK)  # untouched
