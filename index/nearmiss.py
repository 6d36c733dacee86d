"""Near-miss questions made from answerable ones: the same question about something the
corpus never mentions, which the bot must refuse (issue 13; docs/answers.md, "Near misses").

    python -m index.nearmiss --qa DEV_QA --articles DEV_ARTICLES --out var/near-miss.jsonl

Three swaps, each tagged: `near-miss-entity` (a capitalised name of the question — a
disease, place, person, organisation or country — becomes one of the same kind), `near-miss-disease`
(a common disease named in lowercase becomes one the corpus never names),
`near-miss-year` (the year becomes one the question's article never mentions). A third of
them are typed without marks, as readers do (`near-miss-unaccented`). Every replacement is
checked against the whole corpus (folded), so none of them can be answered from it. The
output keeps the source article in `fold_key`, so cross-validation puts it in its fold.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .evaluate import read_qa
from .folds import fold_of
from .text import fold

POOLS = {  # replacements, by kind; any the corpus mentions is dropped at run time
    "disease": ["Nipah", "Marburg", "Chikungunya", "Kawasaki", "Lyme", "Hantavirus", "Chagas", "Lassa",
                "Hendra", "Oropouche", "Mayaro", "Creutzfeldt-Jakob"],
    "place": ["Mường Tè", "Bắc Kạn", "Sìn Hồ", "Đắk Glei", "Mèo Vạc", "Bảo Lạc", "Tủa Chùa", "Quản Bạ"],
    "country": ["Paraguay", "Mông Cổ", "Bolivia", "Estonia", "Namibia", "Uruguay", "Madagascar", "Kyrgyzstan"],
    "person": ["Nguyễn Văn Thạch", "Trần Thị Huyền Trâm", "Lê Quang Vịnh", "Phạm Minh Khuê", "Đỗ Hữu Lộc",
               "Bùi Thị Ngát", "Hồ Sĩ Đằng", "Vương Khả Tú"],
    "organisation": ["Bệnh viện Đa khoa Mường Tè", "Viện Sinh học Đắk Glei", "Trường Y Sìn Hồ",
                     "Trung tâm Y tế Quản Bạ"],
    "name": ["Uppsala", "Heidelberg", "Tromsø", "Nagoya", "Valparaíso", "Tartu", "Gdańsk", "Bergamo"],
}
COMMON_DISEASES = ["sốt xuất huyết", "tay chân miệng", "tiểu đường", "đái tháo đường", "ung thư", "sởi", "cúm",
                   "lao", "viêm gan", "HIV", "đột quỵ", "cao huyết áp", "tăng huyết áp", "trầm cảm", "béo phì",
                   "thủy đậu", "quai bị", "dại", "tả", "ebola", "zika"]
SURNAMES = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
            "Dương", "Lý"}
ORG_HEADS = ("Bệnh viện", "Viện", "Trường", "Sở", "Bộ", "Trung tâm", "Đại học", "Công ty", "Hội", "Tổ chức")
PLACE_CUES = {"ở", "tại", "tỉnh", "huyện", "xã", "TP", "thành phố"}
DISEASE_CUES = {"bệnh", "virus", "vi rút", "dịch", "hội chứng", "nhiễm", "mắc", "trị"}
COUNTRIES = {"Mỹ", "Anh", "Pháp", "Nhật", "Nhật Bản", "Trung Quốc", "Hàn Quốc", "Úc", "Đức", "Ấn Độ", "Việt Nam",
             "Canada", "Thái Lan", "Singapore", "Nga", "Ý", "Italy", "Thụy Điển", "Brazil"}
_PUNCT = "?,.:;\"'()"
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
SHARE_UNACCENTED = 3  # one question in this many is typed without marks


def _pick(key: str, pool: list[str]) -> str:
    return pool[fold_of(key, len(pool))]  # the folds' stable hash: the same pick on every machine


def _named(tok: str) -> bool:
    return tok[:1].isupper() or tok[:1].isdigit()


def entity_runs(question: str, lower_words: set[str]) -> list[tuple[int, int]]:
    """Token index ranges of names: runs of capitalised words (an organisation's lowercase
    "viện", "tế" included), not the question's first word, nor one word the corpus also
    writes in lowercase ("Bệnh", "Theo")."""
    toks = question.split()
    runs, i = [], 1
    while i < len(toks):
        if not toks[i][:1].isupper():
            i += 1
            continue
        j = i
        org = any(" ".join(toks[i:i + 2]).startswith(h) for h in ORG_HEADS)
        while j + 1 < len(toks) and toks[j][-1] not in _PUNCT and (_named(toks[j + 1]) or (
                org and j + 2 < len(toks) and _named(toks[j + 2]))):  # "Bệnh viện Đa khoa Hà Tĩnh"
            j += 1
        if j > i or toks[i].strip(_PUNCT).lower() not in lower_words:
            runs.append((i, j + 1))
        i = j + 1
    return runs


def kind_of(toks: list[str], start: int, end: int) -> str:
    run, before = " ".join(toks[start:end]).strip(_PUNCT), " ".join(toks[max(0, start - 2):start]).lower()
    if any(run.startswith(h) for h in ORG_HEADS):
        return "organisation"
    if run in COUNTRIES:
        return "country"
    if any(before.endswith(c) for c in DISEASE_CUES):
        return "disease"
    if toks[start] in SURNAMES and end - start >= 2:
        return "person"
    if any(before.endswith(c.lower()) for c in PLACE_CUES):
        return "place"
    return "name"


def swaps(item: dict[str, Any], pools: dict[str, list[str]], article: str,
          lower_words: set[str]) -> Iterator[tuple[str, str]]:
    """(tag, question) near misses of one answerable question."""
    q = str(item["question"])
    toks = q.split()
    for start, end in entity_runs(q, lower_words)[:1]:
        kind = kind_of(toks, start, end)
        tail = "".join(c for c in toks[end - 1] if c in "?,.:;")
        new = _pick(q, pools[kind])
        yield "near-miss-entity", " ".join([*toks[:start], new + tail, *toks[end:]])
    low = q.lower()
    for disease in COMMON_DISEASES:
        if re.search(rf"\b{re.escape(disease.lower())}\b", low):
            at = low.index(disease.lower())
            yield "near-miss-disease", q[:at] + _pick(q, pools["disease"]) + q[at + len(disease):]
            break
    m = YEAR.search(q)
    if m:
        year = next(y for y in range(int(m.group()) - 9, 1900, -1) if str(y) not in article)
        yield "near-miss-year", q[:m.start()] + str(year) + q[m.end():]


def near_misses(qa: list[dict[str, Any]], articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    corpus = fold(" ".join(f"{a.get('title', '')} {a.get('text', '')}" for a in articles)).lower()
    pools = {k: [v for v in vs if fold(v).lower() not in corpus] for k, vs in POOLS.items()}
    text_of = {a.get("url"): f"{a.get('title', '')} {a.get('text', '')}" for a in articles}
    lower_words = {w.strip(_PUNCT) for t in text_of.values() for w in t.split() if w[:1].islower()}
    out: list[dict[str, Any]] = []
    for item in qa:
        if "vinewsqa" not in item.get("tags", ()) or not item.get("answers"):
            continue
        for tag, question in swaps(item, pools, text_of.get(item.get("url"), ""), lower_words):
            tags = ["near-miss", tag]
            if len(out) % SHARE_UNACCENTED == SHARE_UNACCENTED - 1:
                question, tags = fold(question).lower(), [*tags, "near-miss-unaccented"]
            out.append({"id": f"{item['id']}-{tag}", "question": question, "answers": [], "tags": tags,
                        "fold_key": item.get("url"), "source": item["question"]})
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m index.nearmiss", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--qa", type=Path, required=True)
    p.add_argument("--articles", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    rows = near_misses(read_qa(a.qa), read_qa(a.articles))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    sys.stdout.write(f"{len(rows)} near misses → {a.out}\n")


if __name__ == "__main__":
    main()
