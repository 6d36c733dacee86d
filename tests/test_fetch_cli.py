"""`python -m index fetch`: the JSON summary and the human one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.__main__ import main
from tests.news_site import NewsSite


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[NewsSite]:
    s = NewsSite().start()
    s.robots_txt = "User-agent: *\nDisallow: /private/\n"  # no Crawl-delay: this test uses the real clock
    monkeypatch.setenv("FETCH_DELAY", "0")
    s.add_article("/den-duong-post2001.html", "Thôn xóm sáng đèn đường năng lượng mặt trời",
                  "Ba mươi cột đèn năng lượng mặt trời vừa được lắp dọc đường liên thôn.",
                  ["Đoàn thanh niên xã vận động kinh phí và tự tay lắp đặt trong hai ngày cuối tuần."])
    s.feed_links.append("/private/noi-bo-post2002.html")
    yield s
    s.stop()


def test_fetch_json(site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fetch", "--source", site.url + "/rss/home.rss", "--articles-dir", str(tmp_path / "a"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and (out["new"], out["seen"], out["removed"]) == (1, 2, 0)
    assert out["skipped"] == [{"url": site.url + "/private/noi-bo-post2002.html", "reason": "robots.txt"}]
    assert len(list((tmp_path / "a").rglob("*.jsonl"))) == 1


def test_fetch_human_with_max(site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fetch", "--source", site.url + "/rss/home.rss", "--source", site.url + "/khong-co.rss",
               "--articles-dir", str(tmp_path / "a"), "--max", "0"])
    out = capsys.readouterr().out
    assert rc == 0 and "new 0" in out and "khong-co.rss: new 0, updated 0, removed 0 — error: HTTP 404" in out
