from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import build
from index.evaluate import METRICS, Row, gate_failures, report, summarise
from index.tuning import Tuning
from tests.conftest import SAMPLE

ROOT = Path(__file__).parent.parent
HOSPITAL = "https://example.org/hoibao/mau/benh-vien-khong-giay"
CA_TRU = "https://example.org/hoibao/mau/ca-tru-co-dam"


def test_metrics_on_rows_with_known_numbers() -> None:
    rows = [Row(("a",), True, 1, 1, True, 10.0),       # right article, answer in the first quote
            Row(("a",), True, 2, 2, True, 20.0),       # right article second, answer in the second quote
            Row(("a", "b"), True, None, None, False, 30.0),  # nothing found, refused
            Row(("b",), True, 4, None, True, 40.0),
            Row(("u",), False, None, None, False, 50.0),  # unanswerable, refused
            Row(("u",), False, None, None, True, 60.0)]   # unanswerable, answered anyway
    m = summarise(rows)
    assert m["n"] == 6
    assert m["article_hit@1"] == 0.25 and m["article_hit@3"] == 0.5
    assert m["answer_hit@1"] == 0.25 and m["answer_hit@3"] == 0.5
    assert m["mrr@10"] == round((1 + 0.5 + 0 + 0.25) / 4, 4)
    assert m["answered_rate"] == 0.75 and m["refusal_rate"] == 0.5
    assert m["latency_ms_p50"] == 35.0
    r = report(rows)
    assert r["by_tag"]["a"]["n"] == 3 and r["by_tag"]["u"]["article_hit@1"] is None
    assert set(r["overall"]) == set(METRICS)


def test_gate_failures_name_what_is_missed() -> None:
    result = {"overall": {"article_hit@1": 0.79, "answer_hit@1": 0.8}, "by_tag": {
        "x": {"article_hit@1": 0.70}, "y": {"article_hit@1": 0.75}}}
    gate = {"min": {"overall": {"article_hit@1": 0.8, "answer_hit@1": 0.72}},
            "max_gap": [{"tag": "x", "reference": "y", "metric": "article_hit@1", "gap": 0.03}]}
    assert gate_failures(result, gate) == ["overall article_hit@1 = 0.79 < 0.8",
                                           "x article_hit@1 = 0.7 is more than 0.03 below y (0.75)"]


@pytest.fixture
def qa(tmp_path: Path) -> Path:
    items = [
        {"id": "1", "question": "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?", "answers": ["3,5 TỶ  đồng"],
         "url": HOSPITAL, "tags": ["t"]},
        {"id": "2", "question": "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm nhờ bệnh án điện tử?",
         "answers": ["một chuỗi không có trong bài"], "url": HOSPITAL, "tags": ["t"]},
        {"id": "3", "question": "Ca trù Cổ Đạm có bao nhiêu thành viên?", "answers": ["25 thành viên"],
         "url": None, "title": "Câu lạc bộ ca trù Cổ Đạm truyền nghề cho lớp trẻ", "tags": ["t", "title"]},
        {"id": "4", "question": "Đội tuyển Việt Nam vô địch AFF Cup năm nào?", "answers": [], "url": None,
         "tags": ["unanswerable"]},
    ]
    p = tmp_path / "qa.jsonl"
    p.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return p


def test_eval_cli_on_a_tiny_qa_file(tmp_path: Path, qa: Path) -> None:
    idx = tmp_path / "idx"
    build([SAMPLE], idx, None)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "index", "eval", "--index-dir", str(idx), "--qa", str(qa), "--json",
                          "--plot", str(tmp_path / "p.png")], env=env, capture_output=True, timeout=120, check=True)
    r = json.loads(out.stdout)
    assert set(r) == {"overall", "by_tag", "tuning", "calibration"}
    assert r["tuning"] == Tuning().to_json() and r["calibration"] == "lexical (BM25-only index)"
    o = r["overall"]
    assert set(o) == set(METRICS)
    assert o["n"] == 4
    assert o["article_hit@1"] == 1.0 and o["mrr@10"] == 1.0  # gold by url, and by title for item 3
    assert o["answer_hit@1"] == round(2 / 3, 4)  # case and spaces are normalised; item 2's answer is absent
    assert o["answered_rate"] == 1.0 and o["refusal_rate"] == 1.0
    assert r["by_tag"]["title"]["answer_hit@1"] == 1.0 and r["by_tag"]["unanswerable"]["n"] == 1
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_eval_applies_and_reports_tuning_overrides(tmp_path: Path, qa: Path) -> None:
    idx = tmp_path / "idx"
    build([SAMPLE], idx, None)
    (tmp_path / "t.json").write_text(json.dumps({"max_quote": 20, "pair_bonus": 0.5}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "index", "eval", "--index-dir", str(idx), "--qa", str(qa), "--json"]
    out = subprocess.run([*args, "--tuning", str(tmp_path / "t.json")], env=env, capture_output=True, timeout=120,
                         check=True)
    r = json.loads(out.stdout)
    assert r["tuning"]["max_quote"] == 20 and r["tuning"]["pair_bonus"] == 0.5
    assert r["tuning"]["pool"] == Tuning().pool
    assert r["overall"]["answer_hit@1"] == 0.0  # no quote is that short: the override took effect
    (tmp_path / "bad.json").write_text(json.dumps({"no_such_knob": 1}), encoding="utf-8")
    bad = subprocess.run([*args, "--tuning", str(tmp_path / "bad.json")], env=env, capture_output=True, timeout=120)
    assert bad.returncode == 1 and b"no_such_knob" in bad.stderr
