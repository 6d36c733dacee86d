from __future__ import annotations

from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from index.articles import read_articles
from index.chunks import chunk_article, passage_text
from index.lexical import Lexical
from index.text import Analyzer
from tests.conftest import ARTICLES, SAMPLE


def _corpus() -> list[list[str]]:
    arts = read_articles([ARTICLES, SAMPLE]).articles
    a = Analyzer()
    return [a.terms(passage_text(art, c)) for i, art in enumerate(arts) for c in chunk_article(art, i)]


def test_scores_equal_rank_bm25_okapi(tmp_path: Path) -> None:
    corpus = _corpus()
    oracle = BM25Okapi(corpus, k1=1.5, b=0.75)
    ours = Lexical.build(corpus)
    ours.save(tmp_path / "bm25")
    loaded = Lexical.load(tmp_path / "bm25")
    a = Analyzer()
    queries = ["chuyển đổi số", "tỷ lệ hồ sơ trực tuyến", "của và các", "ca trù Cổ Đạm", "18,72%", "hồ sơ hồ sơ"]
    for q in queries:
        terms = a.terms(q)
        expected = oracle.get_scores(terms)
        assert np.allclose(ours.scores(terms), expected, atol=1e-4), q
        assert np.allclose(loaded.scores(terms), expected, atol=1e-4), q
    # common terms (df > N/2) get Okapi's epsilon floor, not zero
    common = max(set(t for d in corpus for t in d), key=lambda t: sum(t in d for d in corpus))
    assert sum(common in d for d in corpus) > len(corpus) / 2
    assert np.allclose(ours.scores([common]), oracle.get_scores([common]), atol=1e-4)


def test_unknown_terms_score_zero() -> None:
    ours = Lexical.build(_corpus())
    assert not ours.scores(["không-có-từ-này"]).any()
    assert ours.idf("không-có-từ-này") > max(ours.idf(t) for t in ("chuyển", "hồ sơ", "của"))
