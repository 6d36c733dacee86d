"""The answer-sentence cross-encoder: vocabulary pruning, training, int8 export, serving
(index/rerank.py), on a tiny model the tests build; and the engine's use of it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.build import build
from index.engine import Engine
from index.generation import load
from index.rerank import MARKER, WEIGHTS, Reranker, RerankerUnavailable, candidate_text, load_reranker
from index.text import fold
from tests.conftest import ARTICLES, SAMPLE
from tests.tiny_reranker import build_tiny_base
from train import vocab
from train.export import export
from train.fit import Settings, build_model, train
from train.pairs import Group

pytestmark = pytest.mark.slow

TOPICS = {  # a keyword a question names, and a sentence that holds it
    "cầu": "Cây cầu mới bắc qua sông Lam được thông xe vào sáng thứ Hai.",
    "lúa": "Nông dân thu hoạch lúa sớm hơn mọi năm vì nắng nóng kéo dài.",
    "sởi": "Ngành y tế tiêm vắc xin sởi cho trẻ em ở các xã vùng cao.",
    "đường": "Con đường ven biển bị sạt lở sau trận mưa lớn đêm qua.",
    "cá": "Ngư dân ra khơi đánh bắt cá ngừ khi biển lặng sóng.",
    "điện": "Công ty điện lực cắt điện luân phiên để sửa đường dây.",
    "trường": "Trường học mới khai giảng với hơn năm trăm học sinh.",
    "chợ": "Chợ phiên họp đông từ sáng sớm với nhiều hàng nông sản.",
}


def _groups() -> list[Group]:
    sentences = list(TOPICS.values())
    out = []
    for i, word in enumerate(TOPICS):
        negs = [sentences[(i + k) % len(sentences)] for k in (1, 2, 3)]
        out.append(Group(f"Tin về {word} nói gì?", (sentences[i], *negs)))
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[float]]:
    """(base folder, exported reranker folder, torch scores of the first group)."""
    root = tmp_path_factory.mktemp("rr")
    texts = [*TOPICS.values(), *(g.question for g in _groups())] * 3
    base = build_tiny_base(texts, root / "base")
    kept = vocab.used_ids(base / "tokenizer.json", texts)
    pruned = root / "pruned.json"
    vocab.write_pruned(base / "tokenizer.json", kept, pruned)
    s = Settings(layers=2, max_length=48, epochs=40, groups_per_step=4, lr=2e-3, head_lr=2e-2, warmup=0.05)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(pruned))
    tok.enable_truncation(s.max_length, strategy="only_second")
    tok.enable_padding(pad_id=1)
    model = train(build_model(base, kept, s.layers), tok, _groups(), s)
    import torch

    from train.fit import encode

    g = _groups()[0]
    with torch.no_grad():
        ref = model(*encode(tok, [(g.question, t) for t in g.texts])).tolist()
    out = export(model, pruned, root / "reranker", {"max_length": s.max_length, "layers": 2, "pad_id": 1},
                 hidden=32, heads=2)
    return base, out, ref


def test_pruned_vocabulary_tokenizes_known_text_as_before(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    texts = list(TOPICS.values())
    base = build_tiny_base(texts * 3, tmp_path / "base")
    kept = vocab.used_ids(base / "tokenizer.json", texts[:4])
    vocab.write_pruned(base / "tokenizer.json", kept, tmp_path / "pruned.json")
    full, pruned = Tokenizer.from_file(str(base / "tokenizer.json")), Tokenizer.from_file(str(tmp_path / "pruned.json"))
    assert pruned.get_vocab_size() == len(kept) < full.get_vocab_size()
    for text in texts[:4]:
        a, b = full.encode(text), pruned.encode(text)
        assert a.tokens == b.tokens and b.ids == [kept.index(i) for i in a.ids]
    # text of pieces that were dropped still tokenizes (into smaller pieces), never fails
    assert pruned.encode(texts[6]).tokens
    assert pruned.encode("a", "b").ids[0] == 0 and pruned.token_to_id("</s>") == 2


def test_trained_model_ranks_the_answer_first_after_int8_export(tiny: tuple[Path, Path, list[float]]) -> None:
    _, folder, ref = tiny
    assert (folder / WEIGHTS).is_file() and (folder / MARKER).is_file()
    r = Reranker(folder)
    firsts = 0
    for g in _groups():
        scores = r.scores(g.question, list(g.texts))
        firsts += int(np.argmax(scores) == 0)
    assert firsts >= 6, firsts  # it learnt the training groups (chance: 2 of 8)
    g = _groups()[0]
    onnx = r.scores(g.question, list(g.texts))
    assert np.argmax(onnx) == np.argmax(ref)  # int8 keeps the torch model's choice
    assert np.corrcoef(onnx, ref)[0, 1] > 0.9


def test_batches_score_as_single_pairs(tiny: tuple[Path, Path, list[float]]) -> None:
    r = Reranker(tiny[1])
    texts = [candidate_text(s, "", "Tin tỉnh") for s in TOPICS.values()] * 3  # 24: two onnxruntime batches
    together = r.scores("Tin về cá nói gì?", texts)
    alone = np.array([r.scores("Tin về cá nói gì?", [t])[0] for t in texts])
    assert together.shape == (24,)
    # int8 activations are quantised per call, so scores move a little with their batch-mates
    assert np.allclose(together, alone, atol=0.15 * float(np.ptp(alone)) + 1e-3)
    assert list(np.argsort(-together)[:3]) == list(np.argsort(-alone)[:3])
    assert r.scores("x", []).shape == (0,)


def test_a_question_longer_than_the_model_reads_is_scored(tiny: tuple[Path, Path, list[float]]) -> None:
    """A reader may paste a paragraph: the pair is cut to max_length from its longer side
    instead of the tokenizer raising, and a short question is read as before."""
    r = Reranker(tiny[1])
    texts = [candidate_text(s, "", "Tin tỉnh") for s in TOPICS.values()]
    long_question = " ".join(["Tin về cá nói gì"] * (r.max_length // 2))
    scores = r.scores(long_question, texts)
    assert scores.shape == (len(texts),) and np.isfinite(scores).all()
    enc = r.tokenizer.encode("Tin về cá nói gì?", texts[0])
    assert len(enc.ids) <= r.max_length and enc.ids[:4] == r.tokenizer.encode("Tin về cá nói gì?").ids[:4]


def test_damaged_or_absent_model_is_a_clear_error(tiny: tuple[Path, Path, list[float]], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("tokenizer.json", MARKER):
        (bad / name).write_bytes((tiny[1] / name).read_bytes())
    (bad / WEIGHTS).write_bytes((tiny[1] / WEIGHTS).read_bytes()[:1000])
    with pytest.raises(RerankerUnavailable, match=WEIGHTS):
        Reranker(bad)
    with pytest.raises(RerankerUnavailable, match="not a reranker folder"):
        Reranker(tmp_path)
    assert load_reranker("none") is None


def test_candidate_text_puts_the_sentence_first() -> None:
    assert candidate_text(" Câu trả lời. ", "Câu trước.", "Tiêu đề") == "Câu trả lời. | Tiêu đề | Câu trước."
    assert candidate_text("Câu.", "", "") == "Câu."


class _Heard(Reranker):
    """The tiny model, noting the questions the engine gives it."""

    heard: list[str]

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        self.heard.append(question)
        return super().scores(question, texts)


def test_the_engine_gives_the_model_an_unaccented_question_restored(tiny: tuple[Path, Path, list[float]],
                                                                      tmp_path: Path) -> None:
    """The model reads Vietnamese with its marks: an unaccented question reaches it with the
    marks the engine restored (what the dense search reads too), a marked one as typed."""
    build([SAMPLE, ARTICLES], tmp_path / "idx", None)
    model = _Heard(tiny[1])
    model.heard = []
    engine = Engine(load(tmp_path / "idx"), reranker=model)
    asked = engine.gen.articles[0].title
    plain = fold(asked)
    assert plain != asked
    restored = engine._parse(plain, None).restored
    assert restored and restored != plain
    engine.answer(plain)
    engine.answer(asked)
    assert model.heard == [restored, asked]
