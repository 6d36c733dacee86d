"""The fetcher's parts alone: URLs, dates, Retry-After, selectors, extraction, discovery, state."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from index.articles import parse_json_record, read_articles
from index.fetch.canonical import canonical_url, not_article_reason
from index.fetch.dates import parse_published
from index.fetch.discover import DiscoveryError, parse_listing
from index.fetch.extract import ExtractError, decode_html, extract_article
from index.fetch.http import retry_after_seconds
from index.fetch.selectors import SELECTORS, compile_selector, select, select_first
from index.fetch.settings import FetchSettings
from index.fetch.state import STATE_FILE, State
from index.fetch.writer import record_path, write_record
from tests.news_site import SITE_DATA, Article, NewsSite, cms_page, to_cp1258

BASE = "https://bao.example.vn"
ARTICLE = Article("/cau-moi-post1001.html", "Cầu mới nối hai xã ven sông Ngàn Phố",
                  "Cây cầu dài 120 mét vừa được thông xe sau tám tháng thi công.",
                  ["Người dân hai xã trước đây phải đi đò hoặc đi vòng hơn mười cây số.",
                   "Tổng vốn đầu tư gần 30 tỷ đồng, từ ngân sách tỉnh và tiền xã hội hóa.",
                   "Huyện giao xã quản lý, bảo trì cầu và cắm biển giới hạn tải trọng."],
                  topics=["Giao thông", "Nông thôn mới"], caption="Xe máy và người đi bộ qua cầu trong ngày thông xe.")


def _always(_: str) -> bool:
    return True


def test_canonical_url_drops_tracking_fragment_and_case() -> None:
    url = "HTTPS://Bao.Example.VN:443/a-post1.html?utm_source=fb&fbclid=x&zarsrc=31&gclid=1&page=2#binh-luan"
    assert canonical_url(url) == "https://bao.example.vn/a-post1.html?page=2"
    assert canonical_url("/b.html?utm_medium=rss", base=BASE + "/rss/home.rss") == BASE + "/b.html"
    assert canonical_url("http://h:8080") == "http://h:8080/"
    assert canonical_url("mailto:a@b.vn") is None
    assert canonical_url("http://[::1") is None


@pytest.mark.parametrize("path", ["/epaper/2025-08-30", "/multimedia/anh-dep/", "/video/clip/123", "/podcast/x",
                                  "/short-video/y", "/emagazine/z-post9.html", "/tin-moi.html", "/chuyen-doi-so-tag12.html"])
def test_not_article_paths(path: str) -> None:
    assert not_article_reason(BASE + path)


def test_article_paths_are_articles() -> None:
    assert not_article_reason(BASE + "/cau-moi-post1001.html") is None
    assert not_article_reason(BASE + "/tv/ban-tin-sang-12345.html") is None


def test_published_keeps_the_offset_and_reads_day_first() -> None:
    assert parse_published("2025-08-30T01:07:33+0700") == "2025-08-30T01:07:33+07:00"
    assert parse_published("Thứ Bảy, 03/08/2025 08:07 (GMT+7)") == "2025-08-03T08:07:00+07:00"
    assert parse_published("2025-08-30 08:07") == "2025-08-30T08:07:00+07:00"  # naive: Vietnam time
    assert parse_published("Sat, 30 Aug 2025 08:07:00 +0700") == "2025-08-30T08:07:00+07:00"
    assert parse_published("2025-08-30") == "2025-08-30"
    assert parse_published("hôm qua") is None
    assert parse_published("2025-13-45T00:00") is None


def test_retry_after_seconds_or_http_date() -> None:
    now = 1_756_659_600.0  # 2025-08-31 17:00:00 UTC
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Sun, 31 Aug 2025 17:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Sun, 31 Aug 2025 16:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_settings_from_env() -> None:
    s = FetchSettings.from_env({"FETCH_DELAY": "0.5", "FETCH_HOSTS": "a.vn, B.vn  c.vn", "FETCH_TIMEOUT": "7",
                                "FETCH_RECENT_DAYS": "2", "FETCH_USER_AGENT": "X/1 (+mailto:x@y.vn)"})
    assert (s.delay, s.hosts, s.timeout, s.recent_days, s.user_agent) == (0.5, ("a.vn", "b.vn", "c.vn"), 7.0, 2.0,
                                                                          "X/1 (+mailto:x@y.vn)")
    assert FetchSettings.from_env({}).user_agent.startswith("HoiBaoBot/")
    with pytest.raises(ValueError, match="FETCH_DELAY"):
        FetchSettings.from_env({"FETCH_DELAY": "nhanh"})


def test_every_selector_matches_the_fixture_page() -> None:
    import lxml.html

    doc = lxml.html.document_fromstring(cms_page(ARTICLE, BASE))
    for name in SELECTORS:
        assert select(doc, name), f"selector {name!r} matches nothing on the fixture page"
    assert select_first(doc, "title").text == ARTICLE.title
    assert [a.text for a in select(doc, "topics")] == ["#Giao thông", "#Nông thôn mới"]
    with pytest.raises(ValueError, match="unsupported"):
        compile_selector("div > p")


def test_cms_page_to_record() -> None:
    page = cms_page(ARTICLE, BASE).encode()
    got = extract_article(page, "text/html; charset=utf-8", BASE + ARTICLE.path + "?utm_source=zalo", _always)
    r = got.record
    assert got.adapter == "cms"
    assert got.url == r["url"] == BASE + ARTICLE.path
    assert r["title"] == ARTICLE.title
    assert r["published"] == "2025-08-30T08:07:00+07:00"
    assert r["topics"] == ["Giao thông", "Nông thôn mới"] and r["section"] == "Xã hội"
    assert r["lede"] == ARTICLE.lede  # "(Baohatinh.vn) -" stripped
    assert r["captions"] == [ARTICLE.caption]  # photo credit dropped
    paragraphs = [ARTICLE.lede, ARTICLE.paragraphs[0], ARTICLE.caption, *ARTICLE.paragraphs[1:]]
    assert r["text"] == "\n\n".join(paragraphs)  # lede, body and caption in page order
    for gone in ("Quảng cáo", "track(", "Đọc thêm", "Tin liên quan", "Chia sẻ", "Ảnh: Lê Minh", "Baohatinh"):
        assert gone not in r["text"]


def test_record_reads_back_as_the_same_article(tmp_path: Path) -> None:
    r = extract_article(cms_page(ARTICLE, BASE).encode(), "text/html", BASE + ARTICLE.path, _always).record
    art = parse_json_record(json.loads(json.dumps(r)), "x.jsonl")
    assert art.captions == (ARTICLE.caption,) and art.lede == ARTICLE.lede and art.text == r["text"]
    assert art.published == "2025-08-30" and art.topics == ("Giao thông", "Nông thôn mới")
    rel = write_record(tmp_path, r)
    assert rel == record_path(BASE + ARTICLE.path) and rel.name == f"{art.id}.jsonl"
    assert [a.id for a in read_articles([tmp_path]).articles] == [art.id]


def test_old_records_without_captions_read_as_before() -> None:
    art = parse_json_record({"url": "u", "title": "T", "text": "(Baohatinh.vn) - Sapo.\n\nThân bài."}, "f")
    assert art.lede == "Sapo." and art.captions == () and art.text == "Sapo.\n\nThân bài."


def test_windows_1258_page_decodes_to_nfc() -> None:
    a = Article(**{**ARTICLE.__dict__, "charset": "windows-1258"})
    body = to_cp1258(cms_page(a, BASE))
    assert "ế".encode() not in body  # really not UTF-8
    for ctype in ("text/html; charset=windows-1258", "text/html"):  # header, or <meta charset> alone
        r = extract_article(body, ctype, BASE + a.path, _always).record
        assert r["title"] == ARTICLE.title and r["lede"] == ARTICLE.lede
    assert decode_html("Hà Tĩnh".encode()) == "Hà Tĩnh"
    assert decode_html(to_cp1258("Hà Tĩnh")) == "Hà Tĩnh"  # undeclared, not UTF-8: Windows-1258


def test_json_ld_only_page_goes_through_the_generic_extractor() -> None:
    got = extract_article((SITE_DATA / "jsonld-article.html").read_bytes(), "text/html", BASE + "/tin/mat-ong.html",
                          _always)
    r = got.record
    assert got.adapter == "generic"
    assert r["title"] == "Hợp tác xã trẻ đưa mật ong rừng lên sàn thương mại điện tử"
    assert r["published"] == "2025-08-29T15:20:00+07:00" and r["section"] == "Kinh tế"
    assert r["topics"] == ["nông sản", "thương mại điện tử"]
    assert "mã truy xuất nguồn gốc" in str(r["text"]) and "Liên hệ quảng cáo" not in str(r["text"])


def test_broken_html_is_read_or_skipped_never_crashes() -> None:
    r = extract_article((SITE_DATA / "broken.html").read_bytes(), "text/html", BASE + "/b.html", _always).record
    assert r["lede"] == "Trạm bơm vừa hoàn thành cấp nước cho hơn một trăm héc-ta rau màu vụ đông."
    assert "duy tu thường xuyên" in str(r["text"]) and r["published"] is None
    with pytest.raises(ExtractError, match="title"):
        extract_article((SITE_DATA / "unclosed-title.html").read_bytes(), "text/html", BASE + "/u.html", _always)
    with pytest.raises(ExtractError, match=r"no title|no article text"):
        extract_article((SITE_DATA / "no-article.html").read_bytes(), "text/html", BASE + "/n.html", _always)
    with pytest.raises(ExtractError, match="not HTML"):
        extract_article(b"%PDF-1.7\n...", "", BASE + "/p.html", _always)
    with pytest.raises(ExtractError):
        extract_article(b"", "text/html", BASE + "/e.html", _always)


def test_canonical_link_only_on_an_allowed_host() -> None:
    page = cms_page(ARTICLE, "https://other.example.com").encode()
    got = extract_article(page, "text/html", BASE + ARTICLE.path, lambda u: u.startswith(BASE))
    assert got.url == BASE + ARTICLE.path


def test_listings_of_every_kind() -> None:
    site = NewsSite()  # not started: only its documents are used
    site._server = type("S", (), {"server_address": ("127.0.0.1", 8)})()  # type: ignore[assignment]
    site.add_article("/a-post1.html", "Tin A", "Sapo A", ["Một."], news=True)
    rss = parse_listing(site._rss().encode(), site.url + "/rss/home.rss")
    assert rss.kind == "feed" and rss.entries[0].url == site.url + "/a-post1.html"
    assert rss.entries[0].published == "2025-08-30T08:07:00+07:00"
    atom = parse_listing(site._atom().encode(), site.url + "/atom.xml")
    assert atom.kind == "feed" and atom.entries[0].lastmod == "2025-08-30T08:10:00+07:00"
    index = parse_listing(site._sitemap_index().encode(), site.url + "/sitemap.xml")
    assert index.kind == "sitemapindex" and index.entries[0].url.endswith("news-2025-8.xml.gz")
    monthly = parse_listing(gzip.compress(site._urlset().encode()), site.url + "/s.xml.gz")
    assert monthly.kind == "sitemap" and monthly.entries[0].lastmod == "2025-08-30T08:10:00+07:00"
    news = parse_listing(site._news_sitemap().encode(), site.url + "/g.xml")
    assert news.entries[0].published == "2025-08-30T08:07:00+07:00"
    for bad in (b"", "<html><body>Trang lỗi</body></html>".encode(), b"\x1f\x8bnot gzip"):
        with pytest.raises(DiscoveryError):
            parse_listing(bad, "http://x/")


def test_sitemap_entities_are_not_expanded() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://h/&x;</loc></url></urlset>')
    entries = parse_listing(evil, "http://h/").entries
    assert all("root:" not in e.url for e in entries)


def test_state_schema_version_and_wal(tmp_path: Path) -> None:
    State(tmp_path / STATE_FILE).close()
    State(tmp_path / STATE_FILE).close()  # re-opening runs no migration twice
    db = sqlite3.connect(tmp_path / STATE_FILE)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    state = State(tmp_path / STATE_FILE)
    with pytest.raises(ValueError, match="not article columns"):
        state.save_article("u", "s", 0.0, bogus=1)
    state.close()
