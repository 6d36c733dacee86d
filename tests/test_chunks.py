from __future__ import annotations

import itertools

from index.articles import read_articles
from index.chunks import WINDOW, chunk_article, passage_text
from tests.conftest import ARTICLES, SAMPLE


def test_offsets_reproduce_the_text_exactly() -> None:
    arts = read_articles([ARTICLES, SAMPLE]).articles
    assert arts
    for i, art in enumerate(arts):
        chunks = chunk_article(art, i)
        assert chunks
        covered = set()
        for c in chunks:
            assert c.article == i
            assert 1 <= len(c.sentences) <= WINDOW
            assert art.text[c.start:c.end] == art.text[c.sentences[0][0]:c.sentences[-1][1]]
            for a, b in c.sentences:
                sent = art.text[a:b]
                assert sent == sent.strip() and sent
                covered.add((a, b))
        # every sentence of the article is in some chunk, and neighbours overlap
        text_no_space = "".join(art.text[a:b] for a, b in sorted(covered)).replace(" ", "").replace("\n", "")
        assert text_no_space == art.text.replace(" ", "").replace("\n", "")
        for x, y in itertools.pairwise(chunks):
            assert y.start <= x.end


def test_passage_carries_the_title() -> None:
    art = read_articles([ARTICLES / "a2-no-front-matter.txt"]).articles[0]
    c = chunk_article(art, 0)[0]
    assert passage_text(art, c).startswith("Khánh thành cầu Cửa Hội nối hai tỉnh. ")
