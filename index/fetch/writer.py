"""Article files: `<articles-dir>/<host>/<article_id>.jsonl`, one JSON line, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

from index.articles import article_id

from .canonical import host_of


def record_hash(record: dict[str, object]) -> str:
    """Content hash of a record: equal records, equal hashes, whatever the key order."""
    blob = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def record_path(url: str) -> Path:
    """Where the article of `url` lives, relative to the articles folder; the file name is the
    indexer's own article id, so the two always agree."""
    host = re.sub(r"[^\w.-]", "_", host_of(url) or "unknown")
    return Path(host) / f"{article_id(url, '')}.jsonl"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_record(articles_dir: Path, record: dict[str, object]) -> Path:
    """Write (or replace) the record's file; readers see the old file or the new, never half."""
    rel = record_path(str(record["url"]))
    target = articles_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name must not end in .jsonl/.txt, or a concurrent index build would read it.
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp")
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return rel


def delete_record(articles_dir: Path, rel: str) -> None:
    """Remove an article file (a takedown); already gone is fine."""
    target = articles_dir / rel
    target.unlink(missing_ok=True)
    _fsync_dir(target.parent)
