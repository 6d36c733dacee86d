"""Index generations on disk: write, verify, switch atomically, prune.

Layout of INDEX_DIR:
    CURRENT                 name of the live generation (replaced with os.replace)
    generations/<name>/     one complete index, with manifest.json
    generations/<name>.partial/   a build in progress (or killed): never loaded
    .lock                   held by the one build allowed at a time
    PINNED                  a generation a Qdrant collection serves: never pruned

A reader only follows CURRENT to a generation whose manifest verifies: a crash anywhere leaves the old one live.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from . import layout

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: own BM25 arrays, half-precision sentence vectors; 3: idf at query time, delta segments
KEEP = 2
MANIFEST = layout.MANIFEST
MANIFEST_SUM = layout.MANIFEST_SUM
GENERATIONS = "generations"
PARTIAL = ".partial"
PINNED = "PINNED"  # written by index.backends.serve.push_live
FAULT_ENV = "HOIBAO_FAULT_AT"  # crash tests only: see fault_point
# Where fault_point is called, in build order: a kill before "switched" leaves the old
# generation live, from "switched" on the new one (docs/reliability.md, "Fault-injection hook").
FAULT_POINTS = ("locked", "clean", "written", "manifest", "synced", "renamed", "current-tmp",
                "switched", "prune")
_fault_hits: dict[str, int] = {}


class IndexUnavailable(RuntimeError):
    """The index on disk is missing, incompatible or damaged; the message says which file."""


class BuildLocked(RuntimeError):
    """Another build holds the index lock."""


def fault_point(name: str) -> None:
    """With HOIBAO_FAULT_AT=<name>:<n>, SIGKILL this process the n-th time it reaches `name`.

    Crash tests land a kill at an exact step of a build this way, instead of after a
    guessed delay that a slower or faster machine turns into another step. Unset (as
    always outside tests), it costs one environment lookup and does nothing."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    point, _, nth = spec.rpartition(":")
    if point not in FAULT_POINTS or not nth.isdigit():  # a typo must not silently never fire
        raise ValueError(f"{FAULT_ENV}={spec!r}: expected <point>:<n>, point one of {', '.join(FAULT_POINTS)}")
    if point != name:
        return
    _fault_hits[name] = _fault_hits.get(name, 0) + 1
    if _fault_hits[name] == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(dirpath) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def generations_dir(index_dir: Path) -> Path:
    return index_dir / GENERATIONS


def current_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith(".") or name.endswith(PARTIAL):
        raise IndexUnavailable(f"{index_dir / 'CURRENT'}: does not name a generation ({name!r})")
    return name


def current_path(index_dir: Path) -> Path | None:
    name = current_name(index_dir)
    return generations_dir(index_dir) / name if name else None


def generation_names(index_dir: Path) -> list[str]:
    """Complete generations on disk, newest first (live or not)."""
    gens = generations_dir(index_dir)
    if not gens.is_dir():
        return []
    return sorted((p.name for p in gens.iterdir() if p.is_dir() and not p.name.endswith(PARTIAL)), reverse=True)


def new_generation_name() -> str:
    """Sorts by build start (to the microsecond), so "newest" is a plain name sort."""
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now % 1 * 1e6):06d}-" + uuid.uuid4().hex[:6]


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildLocked(f"another build is running on {index_dir}") from exc
            raise
        fault_point("locked")
        yield
    finally:
        os.close(fd)


def clean_leftovers(index_dir: Path) -> list[str]:
    """Remove partial generations left by a killed build (call with the lock held)."""
    removed = []
    gens = generations_dir(index_dir)
    if gens.is_dir():
        for p in gens.iterdir():
            if p.name.endswith(PARTIAL):
                fault_point("clean")
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
    tmp = index_dir / "CURRENT.tmp"
    if tmp.exists():
        tmp.unlink()
        removed.append(tmp.name)
    return removed


def clean_if_idle(index_dir: Path) -> list[str]:
    """At start-up: remove a killed build's leftovers, unless a build is running now."""
    if not index_dir.is_dir():
        return []
    try:
        with build_lock(index_dir):
            return clean_leftovers(index_dir)
    except BuildLocked:
        return []


def write_manifest(gen: Path, info: dict[str, object], known: dict[str, str] | None = None) -> dict[str, object]:
    """`known`: checksums of files hard-linked from a generation that verified (not hashed again)."""
    fault_point("written")  # every data file is in the .partial directory, no manifest yet
    known = known or {}
    files = {rel: known.get(rel) or sha256_file(p) for p in sorted(gen.rglob("*"))
             if p.is_file() and p.name not in (MANIFEST, MANIFEST_SUM) and (rel := str(p.relative_to(gen)))}
    manifest = {"format_version": FORMAT_VERSION, **info, "files": files}
    (gen / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    fault_point("manifest")
    (gen / MANIFEST_SUM).write_text(sha256_file(gen / MANIFEST) + "\n", encoding="utf-8")
    return manifest


def publish(index_dir: Path, partial: Path) -> Path:
    """fsync the finished generation, rename it into place, switch CURRENT, prune."""
    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    fsync_tree(partial)
    fault_point("synced")
    os.rename(partial, final)
    fsync_dir(final.parent)
    fault_point("renamed")  # complete under its final name, but CURRENT still names the old one
    tmp = index_dir / "CURRENT.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(final.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    fault_point("current-tmp")
    os.replace(tmp, index_dir / "CURRENT")
    fault_point("switched")
    # From here the new generation is live and complete; failing the build now would
    # report a rebuild as failed that is serving. Durability of the switch is logged.
    try:
        fsync_dir(index_dir)
        prune(index_dir)
    except OSError as exc:
        log.warning("generation %s is live, but syncing or pruning %s failed: %s", final.name, index_dir, exc)
    return final


def prune(index_dir: Path, keep: int = KEEP) -> None:
    """Keep the live generation, a pinned one, and the newest others that still verify, up
    to `keep` in all: the fallback a restart serves if the live one turns out damaged."""
    live, pinned = current_name(index_dir), index_dir / PINNED
    kept = 1
    for name in generation_names(index_dir):
        if name == live or (pinned.is_file() and name in pinned.read_text(encoding="utf-8").split()):
            continue
        path = generations_dir(index_dir) / name
        if kept < keep:
            try:
                shared = shared_files(path, generations_dir(index_dir) / live) if live else frozenset()
                read_manifest(path, trusted=shared)
                kept += 1
                continue
            except IndexUnavailable as exc:
                log.warning("pruning unusable generation %s: %s", name, exc)
        fault_point("prune")
        shutil.rmtree(path, ignore_errors=True)


def shared_files(gen: Path, other: Path) -> frozenset[str]:
    """Files of `gen` that are hard links to `other`'s (an update's shared base): when
    `other` has just verified, checking them again would only re-read the same bytes."""
    same = []
    for p in gen.rglob("*"):
        try:
            if p.is_file() and (other / p.relative_to(gen)).stat().st_ino == p.stat().st_ino:
                same.append(str(p.relative_to(gen)))
        except OSError:
            continue
    return frozenset(same)


def read_manifest(gen: Path, verify: bool = True, model: str | None = None,
                  any_format: bool = False, trusted: frozenset[str] = frozenset()) -> dict[str, object]:
    """Manifest of a generation, refusing unknown formats, wrong models and bad checksums.
    `any_format`: a build reusing an older generation's vectors checks only its files.
    `trusted`: files known to be inodes this process already verified (hard links shared
    with the generation it serves): their presence is checked, not their bytes again."""
    path = gen / MANIFEST
    if verify and not (any_format and not (gen / MANIFEST_SUM).exists()):  # format 1 had no sidecar
        try:
            expected = (gen / MANIFEST_SUM).read_text(encoding="utf-8").strip()
            if sha256_file(path) != expected:
                raise IndexUnavailable(f"{path}: does not match {MANIFEST_SUM} (manifest damaged)")
        except FileNotFoundError as exc:
            raise IndexUnavailable(f"{exc.filename}: missing (incomplete generation)") from exc
        except UnicodeDecodeError as exc:
            raise IndexUnavailable(f"{gen / MANIFEST_SUM}: damaged ({exc})") from exc
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexUnavailable(f"{path}: missing (incomplete generation)") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexUnavailable(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or (manifest.get("format_version") != FORMAT_VERSION and not any_format):
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexUnavailable(f"{path}: index format {found!r}, this program reads {FORMAT_VERSION}; "
                               "rebuild the index")
    if model and manifest.get("model") and manifest["model"] != model:
        raise IndexUnavailable(f"{path}: built with model {manifest['model']!r}, but EMBEDDING_MODEL is {model!r}; "
                          "rebuild the index or set EMBEDDING_MODEL to match")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexUnavailable(f"{path}: lists no files")
    for name in files:
        if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
            raise IndexUnavailable(f"{path}: lists a path outside the generation ({name!r})")
    if verify:
        on_disk = {str(p.relative_to(gen)) for p in gen.rglob("*")
                   if p.is_file() and p.name not in (MANIFEST, MANIFEST_SUM)}
        extra = on_disk - set(files)
        if extra:
            raise IndexUnavailable(f"{gen / sorted(extra)[0]}: not listed in the manifest (refusing unknown files)")
        for name, digest in files.items():
            f = gen / name
            if not f.is_file():
                raise IndexUnavailable(f"{f}: missing")
            if name not in trusted and sha256_file(f) != digest:
                raise IndexUnavailable(f"{f}: checksum mismatch (file damaged)")
    return manifest
