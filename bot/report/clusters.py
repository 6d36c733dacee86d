"""Unanswered questions grouped by subject: what readers want that the paper has not written.

Questions become TF-IDF vectors of the index's own folded terms (so "gia vang" and
"giá vàng" meet), with question words dropped; when the live index has an embedding
model its vectors are averaged in, so paraphrases with no word in common can meet too.
Average-linkage agglomerative clustering on cosine distance, cut at a fixed distance.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from index.answer import Engine
from index.text import Analyzer, fold, has_marks

# Average-linkage cut: questions whose mean distance to a group is below this join it.
# On the test fixture, paraphrases sit at 0.35–0.75 and different subjects at 0.95–1.0.
THRESHOLD = 0.8
MAX_QUESTIONS = 2000  # distinct questions clustered (the most asked): the distance matrix is n²


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Question words and fillers say how a reader asks, not what about. Accented questions
# drop them by their exact form; unaccented ones only by forms no content word folds to
# ("bao" is also bão, storm; "da" is đá) and by two-word phrases ("bao nhieu").
STOP = _words(
    "à ạ ai anh bạn bao nhiêu bị biết bởi các cái cần chỉ chị cho chưa có còn của cũng đã đang đây để đến đều "
    "đó được em gì giờ hả hay hỏi hôm nay khi không là làm lúc mà mấy mình một nào này nè nếu nhé nhiều như "
    "những nữa ở ơi ra rồi sao sẽ tại thế thì thôi tôi trên trong từ và vào vậy về vì với xin")
STOP_FOLDED = _words(
    "a ai anh ban cac cua khong la gi nao nay o va voi cho duoc minh toi oi nhe vay sao roi chua dang se thi "
    "nhung mot nhieu trong tren vao hay neu nua nhu ne")
PHRASES_FOLDED = frozenset({("bao", "nhieu"), ("bao", "gio"), ("the", "nao"), ("khi", "nao"), ("o", "dau"),
                            ("luc", "nao"), ("hom", "nay"), ("co", "the"), ("khong", "a")})
Embed = Callable[[str], np.ndarray]


@dataclass(frozen=True, slots=True)
class Closest:
    title: str
    url: str | None
    published: str | None


@dataclass(frozen=True, slots=True)
class Cluster:
    size: int  # how many times its questions were asked
    examples: tuple[str, ...]  # up to three distinct questions, most asked first
    closest: Closest | None  # the nearest article the live index has, if any


def _runs(analyzer: Analyzer, question: str) -> list[list[str]]:
    """Folded syllable runs with question words cut out (a cut also ends a bigram run)."""
    accented = has_marks(question)
    out: list[list[str]] = []
    for run in analyzer.syllables(question, folded=not accented):
        folded = [fold(s) for s in run]
        drop = [s in STOP for s in run] if accented else [s in STOP_FOLDED for s in folded]
        if not accented:
            for i, pair in enumerate(itertools.pairwise(folded)):
                if pair in PHRASES_FOLDED:
                    drop[i] = drop[i + 1] = True
        out.append([])
        for syllable, dropped in zip(folded, drop, strict=True):
            if dropped:
                out.append([])
            else:
                out[-1].append(syllable)
    return [r for r in out if r]


def _terms(analyzer: Analyzer, question: str) -> list[str]:
    """Unigrams (numbers alone say nothing) and bigrams ("so 3" does) of the folded runs."""
    terms: list[str] = []
    for run in _runs(analyzer, question):
        terms.extend(s for s in run if not s.isdigit())
        terms.extend(f"{a} {b}" for a, b in itertools.pairwise(run))
    return terms


def term_vectors(questions: Sequence[str], analyzer: Analyzer,
                 idf: Callable[[str], float] | None = None) -> np.ndarray:
    """Rows L2-normalised; idf over the questions themselves, times the index's idf when given
    (words every article uses, like "Hà Tĩnh", should not make two subjects one)."""
    docs = [Counter(_terms(analyzer, q)) for q in questions]
    vocab = sorted({t for d in docs for t in d})
    col = {t: i for i, t in enumerate(vocab)}
    n = len(docs)
    df = Counter(t for d in docs for t in d)
    weight = {t: (math.log((1 + n) / (1 + df[t])) + 1) * (idf(t) if idf else 1.0) for t in vocab}
    x = np.zeros((n, len(vocab)))
    for i, d in enumerate(docs):
        for t, tf in d.items():
            x[i, col[t]] = (1 + math.log(tf)) * weight[t]
    return _normalise(x)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def distances(lexical: np.ndarray, dense: np.ndarray | None = None) -> np.ndarray:
    """Cosine distances (a question with no usable term is far from everything). Dense
    distances are rescaled by their median pair first: models differ in how close
    unrelated texts sit, and only "much closer than a typical pair" should count."""
    d = np.clip(1.0 - lexical @ lexical.T, 0.0, 1.0)
    if dense is not None and len(dense) > 1:
        dd = np.clip(1.0 - _normalise(dense) @ _normalise(dense).T, 0.0, None)
        typical = float(np.median(dd[np.triu_indices(len(dd), 1)]))
        d = (d + np.clip(dd / max(typical, 1e-6), 0.0, 1.0)) / 2
    np.fill_diagonal(d, 0.0)
    return d


def group(d: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Agglomerative (average linkage) groups of a distance matrix, largest first."""
    n = len(d)
    if n < 2:
        return [[0]] if n else []
    labels = fcluster(linkage(squareform((d + d.T) / 2, checks=False), method="average"), threshold,
                      criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return list(groups.values())


def cluster(questions: Sequence[str], engine: Engine | None = None, analyzer: Analyzer | None = None,
            embed: Embed | None = None, threshold: float = THRESHOLD) -> list[Cluster]:
    """Clusters of `questions` (repeats count towards size), the largest first."""
    counts = Counter(" ".join(q.split()) for q in questions if q.strip())
    distinct = [q for q, _ in counts.most_common(MAX_QUESTIONS)]
    if not distinct:
        return []
    gen = engine.gen if engine is not None else None
    analyzer = analyzer or (gen.analyzer if gen is not None else Analyzer())
    if embed is None and engine is not None and engine.retriever.embedder is not None:
        embed = engine.retriever.embedder.query
    lexical = term_vectors(distinct, analyzer, gen.folded.idf if gen is not None else None)
    dense = np.stack([embed(q) for q in distinct]) if embed is not None else None
    d = distances(lexical, dense)
    out = []
    for members in group(d, threshold):
        members.sort(key=lambda i: (-counts[distinct[i]], i))
        # the medoid stands for the group when asking the index for its closest article
        medoid = min(members, key=lambda i: (float(d[i, members].sum()), i))
        out.append(Cluster(sum(counts[distinct[i]] for i in members),
                           tuple(distinct[i] for i in members[:3]),
                           _closest(engine, distinct[medoid])))
    return sorted(out, key=lambda c: (-c.size, c.examples[0]))


def _closest(engine: Engine | None, question: str) -> Closest | None:
    if engine is None:
        return None
    ans = engine.answer(question, k=1)
    if not ans.hits and getattr(ans, "period", None) is not None:
        # "Giá vàng hôm nay?" searches only today's articles; an editor wants the nearest
        # article of any date, so ask again without the time expression.
        from index.dates import parse_time

        ans = engine.answer(parse_time(question, date.today()).text, k=1)
    if not ans.hits:
        return None
    h = ans.hits[0]
    return Closest(h.title, h.url, h.published)
