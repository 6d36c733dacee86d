"""Shared pieces of the reliability suite: two article sets whose generations answer
a probe set differently, and a fingerprint of how a generation answers it."""

from __future__ import annotations

import shutil
from pathlib import Path

from index.answer import Engine
from index.generation import load
from tests.conftest import SAMPLE

EXTRA = """---
url: https://example.org/hoibao/mau/bong-chuyen-nu
published: 2025-09-02
topics: Thể thao
---
Bóng chuyền nữ Hà Tĩnh giành huy chương vàng giải trẻ toàn quốc

(Baohatinh.vn) - Đội bóng chuyền nữ trẻ Hà Tĩnh đã giành huy chương vàng tại giải vô địch trẻ toàn quốc năm 2025 sau khi thắng 3-1 trong trận chung kết.

Huấn luyện viên trưởng cho biết đội có 14 vận động viên, trong đó 9 em đến từ huyện Cẩm Xuyên.
"""

PROBES = [
    "Đội bóng chuyền nữ trẻ Hà Tĩnh giành huy chương gì?",
    "doi bong chuyen nu co bao nhieu van dong vien",
    "Bệnh viện tiết kiệm bao nhiêu tiền mỗi năm?",
    "Ca trù Cổ Đạm có bao nhiêu thành viên?",
    "Giá lúa tươi bán tại ruộng bao nhiêu?",
]


def article_sets(root: Path) -> tuple[Path, Path]:
    """A = the sample articles; B = A plus one article only B can answer from."""
    a, b = root / "articles-a", root / "articles-b"
    shutil.copytree(SAMPLE, a)
    shutil.copytree(SAMPLE, b)
    (b / "07-bong-chuyen.txt").write_text(EXTRA, encoding="utf-8")
    return a, b


Fingerprint = tuple[tuple[bool, tuple[tuple[str | None, str], ...]], ...]


def fingerprint(index_dir: Path, backend: str = "embedded") -> Fingerprint:
    """How the live generation answers the probes (fully verified load, BM25 only), through
    `backend` (tests/backend_params.py: with Qdrant, the generation its collection serves)."""
    from tests.backend_params import live_engine

    engine = Engine(load(index_dir), None) if backend == "embedded" else live_engine(index_dir, backend)
    out = []
    for q in PROBES:
        ans = engine.answer(q, k=3)
        out.append((ans.answered, tuple((h.url, h.quote) for h in ans.hits)))
    return tuple(out)
