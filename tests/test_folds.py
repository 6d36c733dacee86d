"""Cross-validation hygiene of the cross-encoder's training (index/folds.py, train/pairs.py)
and the near-miss questions made from answerable ones (index/nearmiss.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build
from index.engine import Engine
from index.evaluate import norm
from index.folds import parse_fold, qa_fold
from index.generation import Generation, load
from index.nearmiss import entity_runs, near_misses
from index.text import fold
from tests.conftest import ARTICLES, SAMPLE
from train.pairs import GROUP, harvest, training_groups


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Generation:
    idx = tmp_path_factory.mktemp("idx")
    build([SAMPLE, ARTICLES], idx, None)
    return load(idx)


@pytest.fixture(scope="module")
def engine(gen: Generation) -> Engine:
    return Engine(gen)


def _qa(gen: Generation) -> list[dict[str, object]]:
    """Per article, a question whose answer is its second sentence's text (and its variants)."""
    items: list[dict[str, object]] = []
    for a, art in enumerate(gen.articles):
        lo, hi = int(gen.article_sentence_ptr[a]), int(gen.article_sentence_ptr[a + 1])
        if hi - lo < 3 or not art.url:
            continue
        s, e = (int(x) for x in gen.sentence_span[lo + 1])
        q = f"{art.title} thì sao?"
        for tags, text in ((["vinewsqa"], q), (["no-diacritics"], fold(q))):
            items.append({"id": f"{a}-{tags[0]}", "question": text, "answers": [art.text[s:e]], "url": art.url,
                          "tags": tags})
    return items


def test_no_held_out_article_text_trains_its_fold(gen: Generation, engine: Engine) -> None:
    items = _qa(gen)
    assert len({qa_fold(i, 2) for i in items}) == 2  # both folds have questions
    by_url = {art.url: art for art in gen.articles}
    for held_out in (0, 1):
        groups = training_groups(harvest(engine, items, 2), [], held_out, seed=1)
        assert groups
        seen = " ".join(t for g in groups for t in g.texts)
        asked = {norm(g.question) for g in groups}
        for item in items:
            if qa_fold(item, 2) != held_out:
                continue
            art = by_url[str(item["url"])]
            lo = next(i for i, x in enumerate(gen.articles) if x.url == art.url)
            sents = [art.text[int(s):int(e)] for s, e in
                     gen.sentence_span[gen.article_sentence_ptr[lo]:gen.article_sentence_ptr[lo + 1]]]
            assert not any(s in seen for s in sents if len(s) > 20), art.url
            assert norm(str(item["question"])) not in asked and norm(fold(str(item["question"]))) not in asked
    dev = harvest(engine, items, 2)
    everything = training_groups(dev, [], None, seed=1)
    assert len(everything) > max(len(training_groups(dev, [], f, seed=1)) for f in (0, 1))


def test_groups_set_the_answer_against_the_choosers_best_other_quotes(engine: Engine) -> None:
    items = [i for i in _qa(engine.gen) if i["tags"] == ["vinewsqa"]]
    groups = training_groups(harvest(engine, items, 2), [], None, seed=1)
    assert len(groups) >= len(items) // 2  # most titles find their own article first
    for g in groups:
        item = next(i for i in items if i["question"] == g.question)
        answer = norm(str(item["answers"][0]))  # type: ignore[index]
        assert answer in norm(g.texts[0]) and not any(answer in norm(t) for t in g.texts[1:])
        found = engine.first_quotes(g.question)
        assert found is not None and engine.gen.articles[found[0]].url == item["url"]
        title = engine.gen.articles[found[0]].title
        others = [f"{text.strip()} | {title}" for _, text, shown in found[1] if answer not in norm(shown)]
        assert list(g.texts[1:]) == others[:GROUP - 1]  # the best-scored quotes without the answer


def test_variants_of_a_question_share_its_article_fold() -> None:
    a = {"question": "Cầu nào?", "url": "https://x/1"}
    assert qa_fold(a, 5) == qa_fold({"question": "Cau nao?", "url": "https://x/1"}, 5)
    assert qa_fold({"question": "Cầu X nào?", "fold_key": "https://x/1"}, 5) == qa_fold(a, 5)
    assert parse_fold("1/3") == (1, 3)
    with pytest.raises(ValueError):
        parse_fold("3/3")


def test_near_misses_name_only_what_the_corpus_never_mentions() -> None:
    articles = [{"url": "u-cau", "title": "Cầu Rào Tre thông xe", "text": "Cầu dài 300 mét ở Cẩm Xuyên."},
                {"url": "u-soi", "title": "Tiêm vắc xin sởi", "text": "Tỉnh Hà Tĩnh tiêm vắc xin sởi năm 2024."}]
    qa = [{"id": "q1", "question": "Bệnh sởi lây qua đường nào?", "answers": ["x"], "url": "u-soi",
           "tags": ["vinewsqa"]},
          {"id": "q2", "question": "Năm 2024 tỉnh Hà Tĩnh tiêm vắc xin gì?", "answers": ["sởi"], "url": "u-soi",
           "tags": ["vinewsqa"]},
          {"id": "q3", "question": "Câu hỏi không có đáp án?", "answers": [], "tags": ["unanswerable"]}]
    rows = near_misses(qa, articles)
    corpus = fold(" ".join(a["title"] + " " + a["text"] for a in articles)).lower()
    kinds = {r["tags"][1] for r in rows}
    assert {"near-miss-disease", "near-miss-entity", "near-miss-year"} <= kinds
    for r in rows:
        assert r["answers"] == [] and r["fold_key"] == "u-soi" and r["question"] != r["source"]
        new = set(fold(r["question"]).lower().replace("?", "").split()) - set(corpus.split())
        assert new, r  # every near miss names something the corpus does not have
    year = next(r for r in rows if "near-miss-year" in r["tags"])
    assert "2024" not in year["question"]


def test_entity_runs_skip_the_first_word_and_common_words() -> None:
    q = "Theo bác sĩ Nguyễn Văn An, Bệnh viện Đa khoa Hà Tĩnh có mấy khoa?"
    toks = q.split()
    runs = [" ".join(toks[s:e]) for s, e in entity_runs(q, {"theo", "bệnh"})]
    assert runs == ["Nguyễn Văn An,", "Bệnh viện Đa khoa Hà Tĩnh"], runs


def test_nearmiss_cli_writes_jsonl(tmp_path: Path) -> None:
    from index.nearmiss import main

    qa = tmp_path / "qa.jsonl"
    arts = tmp_path / "a.jsonl"
    arts.write_text(json.dumps({"url": "u", "title": "Sởi", "text": "Bệnh sởi tăng ở Hà Tĩnh."}) + "\n", encoding="utf-8")
    qa.write_text(json.dumps({"id": "1", "question": "Bệnh sởi tăng ở đâu?", "answers": ["Hà Tĩnh"], "url": "u",
                              "tags": ["vinewsqa"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    main(["--qa", str(qa), "--articles", str(arts), "--out", str(tmp_path / "nm.jsonl")])
    rows = [json.loads(x) for x in (tmp_path / "nm.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all("near-miss" in r["tags"] for r in rows)
