"""The fetcher against the fixture news site on 127.0.0.1: every politeness rule and every
odd page gets its expected outcome. Time is a FakeClock: sleeps are recorded, never taken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.articles import read_articles
from index.fetch import FetchSettings, FetchSummary, fetch_sources, source_status
from tests.news_site import SITE_DATA, FakeClock, NewsSite, to_cp1258

DAY = 86_400.0


@pytest.fixture
def site() -> Iterator[NewsSite]:
    s = NewsSite().start()
    yield s
    s.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _settings(clock: FakeClock, **kw: object) -> FetchSettings:
    return FetchSettings(clock=clock, timeout=10.0, **kw)  # type: ignore[arg-type]


def _run(site: NewsSite, tmp_path: Path, clock: FakeClock, sources: tuple[str, ...] = ("/rss/home.rss",),
         **kw: object) -> FetchSummary:
    return fetch_sources([site.url + s for s in sources], tmp_path / "articles", _settings(clock, **kw))


def _reasons(summary: FetchSummary) -> dict[str, str]:
    return {s["url"].split("/", 3)[-1]: s["reason"] for s in summary.skipped}


def _files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "articles").rglob("*.jsonl"))


def _add(site: NewsSite, n: int, **kw: object) -> str:
    path = f"/bai-so-{n}-post{1000 + n}.html"
    site.add_article(path, f"Bài thử nghiệm số {n} về đời sống ở xã ven biển",
                     f"Sapo của bài số {n} kể chuyện người dân làm muối.",
                     [f"Đoạn đầu bài {n}: diêm dân ra đồng từ sáng sớm.", f"Đoạn cuối bài {n}: giá muối ổn định."],
                     topics=["Đời sống"], caption=f"Ruộng muối trong bài {n}.", **kw)
    return path


def test_feeds_and_sitemaps_give_each_article_once(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1, news=True)
    _add(site, 2)
    site.feed_links += [a + "?utm_source=rss&fbclid=xyz#binh-luan", "/video/phong-su-123", "/tin-moi.html",
                        "/lam-muoi-tag55.html", "/private/noi-bo-post9.html", "https://elsewhere.example/x-post1.html"]
    s = _run(site, tmp_path, clock, ("/rss/home.rss", "/atom.xml", "/sitemap.xml", "/sitemaps/google-news.xml"))
    assert (s.new, s.updated, s.removed, s.seen) == (2, 0, 0, 3)
    assert len(_files(tmp_path)) == 2 and len(site.requests(a)) == 1  # tracking duplicate stored once
    reasons = _reasons(s)
    assert reasons["private/noi-bo-post9.html"] == "robots.txt"
    assert site.requests("/private/noi-bo-post9.html") == []  # disallowed: never requested
    assert reasons["video/phong-su-123"].startswith("not an article")
    assert reasons["tin-moi.html"].startswith("not an article") and reasons["lam-muoi-tag55.html"].startswith("not an")
    assert reasons["x-post1.html"] == "host not allowed: elsewhere.example"
    assert site.requests("/sitemaps/news-2025-8.xml.gz")  # the index's gzip child was read
    assert all(site.requests(p) for p in ("/rss/home.rss", "/atom.xml", "/sitemap.xml", "/sitemaps/google-news.xml"))
    assert site.paths()[0] == "/robots.txt"
    ua = site.requests(a)[0]["user-agent"]
    assert ua.startswith("HoiBaoBot/") and "@" in ua
    articles = read_articles([tmp_path / "articles"])
    assert not articles.skipped and {x.url for x in articles.articles} == {site.url + a, site.url + _add(site, 2)}
    assert all(x.captions and x.lede.startswith("Sapo") for x in articles.articles)
    assert s.changed and s.per_source[site.url + "/rss/home.rss"].new == 2


def test_second_sync_is_conditional_and_downloads_nothing(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1)
    _run(site, tmp_path, clock, ("/rss/home.rss", "/sitemap.xml"))
    before = {p: p.stat().st_mtime_ns for p in _files(tmp_path)}
    clock.t += 600
    s = _run(site, tmp_path, clock, ("/rss/home.rss", "/sitemap.xml"))
    assert (s.new, s.updated, s.unchanged, s.removed, s.changed) == (0, 0, 1, 0, False)
    for path in ("/rss/home.rss", "/sitemap.xml", a):  # the recent article is re-checked, with its ETag
        assert "if-none-match" in site.requests(path)[-1] and "if-modified-since" in site.requests(path)[-1]
    assert site.bytes_sent("/rss/home.rss") == len(site.answer("/rss/home.rss").body)  # second time: a 304
    assert {p: p.stat().st_mtime_ns for p in _files(tmp_path)} == before


def test_updated_article_is_rewritten_not_duplicated(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1)
    _run(site, tmp_path, clock)
    site.update_article(a, paragraphs=["Bản sửa: diêm dân được hỗ trợ bạt phủ muối mới."])
    clock.t += 600
    s = _run(site, tmp_path, clock)
    assert (s.new, s.updated, s.unchanged) == (0, 1, 0) and s.changed
    files = _files(tmp_path)
    assert len(files) == 1 and "bạt phủ muối" in files[0].read_text(encoding="utf-8")
    assert s.per_source[site.url + "/rss/home.rss"].updated == 1


def test_410_is_a_takedown(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a, b = _add(site, 1), _add(site, 2)
    _run(site, tmp_path, clock)
    site.set_status(a, 410)
    clock.t += 600
    s = _run(site, tmp_path, clock)
    assert (s.removed, s.unchanged, s.changed) == (1, 1, True)
    assert [x.url for x in read_articles([tmp_path / "articles"]).articles] == [site.url + b]
    clock.t += 600
    n = len(site.requests(a))
    assert _run(site, tmp_path, clock).removed == 0 and len(site.requests(a)) == n  # gone stays gone


def test_404_of_a_new_link_is_skipped(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    site.feed_links.append("/chua-co-post77.html")
    assert _reasons(_run(site, tmp_path, clock))["chua-co-post77.html"] == "HTTP 404"


def test_recheck_triggers(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    old = dict(published="2025-06-01T09:00:00+0700", lastmod="2025-06-01T09:00:00+07:00")
    a, b, c = _add(site, 1, **old), _add(site, 2, **old), _add(site, 3, **old)
    sources = ("/rss/home.rss", "/sitemap.xml")
    _run(site, tmp_path, clock, sources)
    clock.t += 600
    _run(site, tmp_path, clock, sources)
    assert [len(site.requests(p)) for p in (a, b, c)] == [1, 1, 1]  # old and unchanged: left alone
    site.update_article(a, feed=False, sitemap=False)  # vanished from both listings: checked at once
    site.update_article(b, lastmod="2025-09-01T10:00:00+07:00")  # sitemap says it changed
    clock.t += 600
    _run(site, tmp_path, clock, sources)
    assert [len(site.requests(p)) for p in (a, b, c)] == [2, 2, 1]
    assert "if-none-match" in site.requests(a)[-1]
    clock.t += 8 * DAY  # the weekly round
    s = _run(site, tmp_path, clock, sources)
    assert len(site.requests(c)) == 2 and s.unchanged >= 1


def test_crawl_delay_and_fetch_delay(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    _add(site, 1)
    _add(site, 2)
    _run(site, tmp_path, clock, delay=0.5)
    assert clock.sleeps == [2.0, 2.0, 2.0]  # robots.txt Crawl-delay 2 beats FETCH_DELAY 0.5; 4 requests
    site.robots_txt = "User-agent: *\nDisallow:\n"
    other = FakeClock()
    fetch_sources([site.url + "/rss/home.rss"], tmp_path / "b", _settings(other, delay=1.5))
    assert other.sleeps == [1.5, 1.5, 1.5]


def test_429_retry_after_is_waited(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1)
    site.queue(a, 429, {"Retry-After": "7"})
    s = _run(site, tmp_path, clock, delay=0.0)
    assert s.new == 1 and 7.0 in clock.sleeps and len(site.requests(a)) == 2


def test_503_retry_after_http_date(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1)
    site.queue(a, 503, {"Retry-After": "Sun, 31 Aug 2025 17:00:45 GMT"})  # clock: 17:00:00 UTC (+2 s delays)
    s = _run(site, tmp_path, clock, delay=0.0)
    assert s.new == 1 and any(40.0 <= x <= 45.0 for x in clock.sleeps)


def test_retry_after_over_the_cap_gives_up(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1)
    _add(site, 2)
    site.queue(a, 429, {"Retry-After": "3600"})
    s = _run(site, tmp_path, clock)
    assert "over the 300 s cap" in _reasons(s)[a[1:]] and len(site.requests(a)) == 1
    assert s.new == 1 and max(clock.sleeps) < 300  # the other article still fetched; nobody waited an hour
    clock.t += 600
    assert _run(site, tmp_path, clock).new == 1  # retried at the next sync


def test_500s_are_retried_with_backoff(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a, b = _add(site, 1), _add(site, 2)
    site.robots_txt = "User-agent: *\nDisallow: /private/\n"
    site.set_status(a, 500)
    site.queue(b, 502)
    s = _run(site, tmp_path, clock, delay=0.0)
    assert _reasons(s)[a[1:]] == "HTTP 500 (after 3 attempts)" and len(site.requests(a)) == 3
    assert s.new == 1 and len(site.requests(b)) == 2
    assert clock.sleeps == [2.0, 4.0, 2.0]  # a: 2 s, then 4 s; b: 2 s, then success


def test_redirects(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    _add(site, 1)
    site.redirect("/vong-a-post1.html", "/vong-b-post2.html")
    site.redirect("/vong-b-post2.html", "/vong-a-post1.html")
    site.redirect("/chuyen-di-post3.html", site.other_host + "/bai-khac-post4.html", 301)
    site.redirect("/doi-dia-chi-post5.html", "/bai-so-1-post1001.html?utm_campaign=x", 301)
    site.feed_links += ["/vong-a-post1.html", "/chuyen-di-post3.html", "/doi-dia-chi-post5.html"]
    for i in range(6):
        site.redirect(f"/xa-{i}-post6{i}.html", f"/xa-{i + 1}-post6{i + 1}.html")
    site.feed_links.append("/xa-0-post60.html")
    s = _run(site, tmp_path, clock)
    reasons = _reasons(s)
    assert reasons["vong-a-post1.html"].startswith("redirect loop")
    assert [len(site.requests(p)) for p in ("/vong-a-post1.html", "/vong-b-post2.html")] == [1, 1]
    assert reasons["chuyen-di-post3.html"].endswith("host not allowed: localhost")
    assert site.requests("/bai-khac-post4.html") == []  # the other host was never asked
    assert reasons["xa-0-post60.html"] == "more than 5 redirects" and not site.requests("/xa-6-post66.html")
    assert s.new == 1 and len(_files(tmp_path)) == 1  # the redirect to the article found it, stored once


def test_redirect_to_a_host_in_fetch_hosts(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    site.add_article("/bai-khac-post4.html", "Bài ở tên miền phụ", "Sapo phụ.", ["Nội dung phụ."])
    site.redirect("/chuyen-di-post3.html", site.other_host + "/bai-khac-post4.html", 301)
    site.feed_links.append("/chuyen-di-post3.html")
    s = _run(site, tmp_path, clock, hosts=("localhost",))
    # followed to localhost, whose page names the 127.0.0.1 article as canonical: the same article
    assert (s.new, s.unchanged, len(_files(tmp_path))) == (1, 1, 1)
    assert [h["host"].split(":")[0] for h in site.requests("/bai-khac-post4.html")] == ["127.0.0.1", "localhost"]


def test_huge_pages_are_dropped_unread(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    site.set_huge("/lon-post1.html", 20 * 1024 * 1024)
    site.set_huge("/lon-khong-do-dai-post2.html", 20 * 1024 * 1024, content_length=False)
    site.feed_links += ["/lon-post1.html", "/lon-khong-do-dai-post2.html"]
    reasons = _reasons(_run(site, tmp_path, clock))
    assert reasons["lon-post1.html"].startswith("too large: Content-Length 20971520")
    assert reasons["lon-khong-do-dai-post2.html"].startswith("too large: over 5242880 bytes")
    site.stop()  # the server threads finish writing (or fail) before the counts are read
    assert site.bytes_sent("/lon-post1.html") < 15 * 1024 * 1024
    assert site.bytes_sent("/lon-khong-do-dai-post2.html") < 15 * 1024 * 1024


def test_non_html_and_unusable_pages(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    site.set_page("/bao-cao-post1.html", b"%PDF-1.7 ...", "application/pdf")
    site.set_page("/khong-ro-post2.html", b"%PDF-1.4 ...", "")
    site.set_page("/loi-post3.html", (SITE_DATA / "unclosed-title.html").read_bytes())
    site.set_page("/rong-post4.html", (SITE_DATA / "no-article.html").read_bytes())
    site.set_page("/vo-post5.html", (SITE_DATA / "broken.html").read_bytes())
    site.set_page("/tin/mat-ong-post6.html", (SITE_DATA / "jsonld-article.html").read_bytes())
    site.sitemap_links += ["/bao-cao-post1.html", "/khong-ro-post2.html", "/loi-post3.html", "/rong-post4.html",
                           "/vo-post5.html", "/tin/mat-ong-post6.html"]
    s = _run(site, tmp_path, clock, ("/sitemap.xml",))
    reasons = _reasons(s)
    assert reasons["bao-cao-post1.html"] == "not HTML: application/pdf"
    assert site.bytes_sent("/bao-cao-post1.html") <= len(b"%PDF-1.7 ...")
    assert reasons["khong-ro-post2.html"] == "not HTML: binary content"
    assert reasons["loi-post3.html"] == "title over 400 characters"
    assert reasons["rong-post4.html"] in ("no title", "no article text")
    assert s.new == 2  # the broken-but-readable page and the JSON-LD page
    records = {r["url"]: r for r in (json.loads(p.read_text(encoding="utf-8")) for p in _files(tmp_path))}
    assert records[site.url + "/vo-post5.html"]["published"] is None  # no date: kept, null
    assert records[site.url + "/tin/mat-ong-post6.html"]["section"] == "Kinh tế"


def test_windows_1258_page(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    a = _add(site, 1, charset="windows-1258")
    assert to_cp1258("ế") not in "ế".encode()
    _run(site, tmp_path, clock)
    record = json.loads(_files(tmp_path)[0].read_text(encoding="utf-8"))
    assert record["url"] == site.url + a and record["title"] == "Bài thử nghiệm số 1 về đời sống ở xã ven biển"
    assert record["captions"] == ["Ruộng muối trong bài 1."]


def test_article_without_a_date(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    _add(site, 1, published=None, feed=False)
    s = _run(site, tmp_path, clock, ("/sitemap.xml",))
    assert s.new == 1 and json.loads(_files(tmp_path)[0].read_text(encoding="utf-8"))["published"] is None


def test_failing_source_backs_off_without_stopping_others(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    _add(site, 1)
    site.set_status("/hong.rss", 500)
    sources = ("/hong.rss", "/rss/home.rss")
    s = _run(site, tmp_path, clock, sources, delay=0.0)
    bad = site.url + "/hong.rss"
    assert s.per_source[bad].error == "HTTP 500 (after 3 attempts)" and s.new == 1
    status = {x.url: x for x in source_status(tmp_path / "articles")}
    assert status[bad].failures == 1 and status[bad].next_retry == pytest.approx(clock.t + 300, abs=10)
    assert status[site.url + "/rss/home.rss"].new == 1 and status[site.url + "/rss/home.rss"].last_error is None
    n = len(site.requests("/hong.rss"))
    clock.t += 60
    s = _run(site, tmp_path, clock, sources, delay=0.0)
    assert len(site.requests("/hong.rss")) == n and "backing off" in str(s.per_source[bad].error)
    clock.t += 400
    _run(site, tmp_path, clock, sources, delay=0.0)
    status = {x.url: x for x in source_status(tmp_path / "articles")}
    assert len(site.requests("/hong.rss")) == n + 3 and status[bad].failures == 2
    assert status[bad].next_retry == pytest.approx(clock.t + 600, abs=10)  # doubled
    site.set_page("/hong.rss", site.answer("/rss/home.rss").body, "application/rss+xml")
    clock.t += 700
    _run(site, tmp_path, clock, sources, delay=0.0)
    status = {x.url: x for x in source_status(tmp_path / "articles")}
    assert status[bad].failures == 0 and status[bad].last_error is None and status[bad].next_retry is None


def test_max_articles_and_progress(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    for n in range(1, 5):
        _add(site, n)
    calls: list[tuple[int, int]] = []
    s = fetch_sources([site.url + "/rss/home.rss"], tmp_path / "articles", _settings(clock), max_articles=2,
                      progress=lambda done, total: calls.append((done, total)))
    assert s.new == 2 and calls == [(0, 2), (1, 2), (2, 2)]
    clock.t += 60
    assert _run(site, tmp_path, clock).new == 2  # the rest next time


def test_summary_json_shape(site: NewsSite, tmp_path: Path, clock: FakeClock) -> None:
    _add(site, 1)
    out = _run(site, tmp_path, clock).to_json()
    assert set(out) == {"sources", "seen", "new", "updated", "unchanged", "removed", "skipped", "seconds"}
    assert source_status(tmp_path / "nothing-here") == []


def test_nothing_but_the_state_file_and_articles_in_the_folder(site: NewsSite, tmp_path: Path,
                                                                clock: FakeClock) -> None:
    _add(site, 1)
    _run(site, tmp_path, clock)
    names = {p.name for p in (tmp_path / "articles").rglob("*") if p.is_file()}
    assert {n for n in names if n.endswith((".jsonl", ".txt"))} == {p.name for p in _files(tmp_path)}
    assert not [n for n in names if n.endswith(".tmp")]
