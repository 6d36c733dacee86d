"""Crash safety: rebuilds SIGKILLed at each named step (store.fault_point), and I/O faults injected into
every write, fsync and rename of a rebuild. The live index must always load and
answer exactly as the old or the new generation; a failed rebuild changes nothing."""

from __future__ import annotations

import builtins
import errno
import io
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from index import store
from index.build import build
from tests.backend_params import BACKENDS, publish
from tests.backend_params import env as backend_env
from tests.reliability.conftest import Cases
from tests.reliability.helpers import Fingerprint, article_sets, fingerprint

ROOT = Path(__file__).resolve().parents[2]


def _build_cmd(articles: Path, index_dir: Path) -> list[str]:
    return [sys.executable, "-m", "index", "--log-level", "WARNING", "build", "--articles", str(articles),
            "--index-dir", str(index_dir), "--no-vectors"]


def _env(backend: str = "embedded", index_dir: Path | None = None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **(backend_env(index_dir, backend) if index_dir else {})}


def _assert_clean_and_live(index_dir: Path, allowed: dict[str, Fingerprint], backend: str = "embedded") -> str:
    """What the bot does at start: clean leftovers, load, answer. Returns A or B."""
    name = store.current_name(index_dir)
    assert name is not None and not name.endswith(store.PARTIAL)
    assert (store.generations_dir(index_dir) / name / store.MANIFEST).is_file()
    store.clean_if_idle(index_dir)
    gens = store.generations_dir(index_dir)
    assert not [p for p in gens.iterdir() if p.name.endswith(store.PARTIAL)]
    assert not (index_dir / "CURRENT.tmp").exists()
    fp = fingerprint(index_dir, backend)
    matches = [k for k, v in allowed.items() if v == fp]
    assert matches, "the live generation answers like neither the old nor the new one"
    return matches[0]


BEFORE_SWITCH = store.FAULT_POINTS[:store.FAULT_POINTS.index("switched")]


def _plan(long: bool) -> list[str]:
    """Kill points: every point once (so both sides of the switch, every run), then seeded
    shuffles of them — deterministic, whatever the machine's speed."""
    rng = random.Random(20261127)
    plan = list(store.FAULT_POINTS)
    while len(plan) < (200 if long else 12):
        plan += rng.sample(store.FAULT_POINTS, len(store.FAULT_POINTS))
    return plan[:200 if long else 12]


def _killed_at(point: str, articles: Path, index_dir: Path, nth: int = 1, backend: str = "embedded") -> None:
    """A rebuild that SIGKILLs itself the nth time it reaches `point` (with Qdrant, its push never runs)."""
    out = subprocess.run(_build_cmd(articles, index_dir),
                         env={**_env(backend, index_dir), store.FAULT_ENV: f"{point}:{nth}"},
                         capture_output=True, timeout=600)  # a hang detector, not a measurement
    assert out.returncode == -signal.SIGKILL, f"{point}:{nth} not reached: {out.stderr.decode()[-2000:]}"


def _deletions(index_dir: Path) -> int:
    """How many generations the next complete build prunes: all but the live, its
    fallback and (Qdrant) the pinned one the collection serves — counted before it adds its own."""
    pinned = (index_dir / store.PINNED).read_text(encoding="utf-8").split() if (index_dir / store.PINNED).is_file() \
        else []
    names = store.generation_names(index_dir)
    return len(names) - 1 - sum(1 for n in pinned if n in names and n != store.current_name(index_dir))


@pytest.mark.group("Crash safety: rebuilds SIGKILLed at a random point")
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkilled_rebuilds_leave_a_generation_that_answers_as_old_or_new(
        tmp_path: Path, long: bool, cases: Cases, backend: str) -> None:
    """With Qdrant a killed rebuild never reaches its push: the collection, and the
    generation it serves (pinned: never pruned), keep answering as before."""
    a, b = article_sets(tmp_path)
    index_dir = tmp_path / "index"
    expected: dict[str, Fingerprint] = {}
    for name, arts in (("B", b), ("A", a)):  # two complete generations: every rebuild prunes one
        build([arts], index_dir, None)
        publish(index_dir, backend)
        expected[name] = fingerprint(index_dir, backend)
    assert expected["A"] != expected["B"]
    live = _assert_clean_and_live(index_dir, expected, backend)
    rng = random.Random(20261128)
    outcomes: Counter[str] = Counter()
    for point in _plan(long):
        target = "B" if live == "A" else "A"
        before = store.current_name(index_dir)
        if point == "clean":  # a kill while cleaning up after an earlier killed build
            _killed_at("written", a if target == "A" else b, index_dir, backend=backend)
            assert store.current_name(index_dir) == before
            assert [p for p in store.generations_dir(index_dir).iterdir() if p.name.endswith(store.PARTIAL)]
        if point == "prune" and _deletions(index_dir) < 1:  # a pinned generation is not pruned: one more to prune
            _killed_at("switched", a if target == "A" else b, index_dir, backend=backend)
        # The previous live generation is kept, every older complete one pruned: pick which deletion.
        nth = rng.randint(1, _deletions(index_dir)) if point == "prune" else 1
        _killed_at(point, a if target == "A" else b, index_dir, nth, backend)
        now = _assert_clean_and_live(index_dir, {live: expected[live], target: expected[target]}, backend)
        switched = store.current_name(index_dir) != before
        assert switched == (point not in BEFORE_SWITCH), f"killed at {point}"
        assert (now != live) == (switched and backend == "embedded"), f"killed at {point}"
        outcomes[point] += 1
        live = now
        cases.add()
    print(f"\nSIGKILL points: {dict(outcomes)}")
    assert set(outcomes) == set(store.FAULT_POINTS)  # both sides of the switch, by construction
    build([a if live == "B" else b], index_dir, None)  # an unkilled rebuild leaves no debris
    publish(index_dir, backend)
    # with Qdrant, the generation the collection served until this push was pinned: one more
    assert len(store.generation_names(index_dir)) <= store.KEEP + (backend == "qdrant")
    assert not [p for p in store.generations_dir(index_dir).iterdir() if p.name.endswith(store.PARTIAL)]
    assert not (index_dir / "CURRENT.tmp").exists()


class Faults:
    """Counts writes, fsyncs and renames; makes the `fail_at`-th of `kind` raise."""

    def __init__(self, kind: str | None = None, fail_at: int = 0, err: int = errno.EIO) -> None:
        self.kind, self.fail_at, self.err = kind, fail_at, err
        self.counts: Counter[str] = Counter()
        self.fired = False

    def tick(self, kind: str) -> None:
        self.counts[kind] += 1
        if kind == self.kind and self.counts[kind] == self.fail_at:
            self.fired = True
            raise OSError(self.err, f"injected {os.strerror(self.err)} on {kind} #{self.fail_at}")


class _File:
    def __init__(self, f: Any, faults: Faults) -> None:
        self._f, self._faults = f, faults

    def write(self, data: Any) -> int:
        self._faults.tick("write")
        return int(self._f.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _File:
        self._f.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.__exit__(*exc)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._f)


@contextmanager
def injected(faults: Faults) -> Iterator[None]:
    real_open, real_fsync, real_rename, real_replace = builtins.open, os.fsync, os.rename, os.replace

    def fopen(file: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        f = real_open(file, mode, *args, **kw)
        return _File(f, faults) if any(c in mode for c in "wax+") else f

    def wrap(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kw: Any) -> Any:
            faults.tick(kind)
            return fn(*args, **kw)
        return inner

    builtins.open = io.open = fopen  # type: ignore[assignment]
    os.fsync, os.rename, os.replace = wrap("fsync", real_fsync), wrap("rename", real_rename), \
        wrap("rename", real_replace)
    try:
        yield
    finally:
        builtins.open = io.open = real_open
        os.fsync, os.rename, os.replace = real_fsync, real_rename, real_replace


@pytest.mark.group("Crash safety: injected I/O faults (Nth write / fsync / rename fails, disk full)")
def test_every_injected_io_fault_fails_the_rebuild_and_leaves_the_live_generation(
        tmp_path: Path, long: bool, cases: Cases) -> None:
    a, b = article_sets(tmp_path)
    index_dir = tmp_path / "index"
    build([a], index_dir, None)
    old_fp, old_name = fingerprint(index_dir), store.current_name(index_dir)
    dry = Faults()
    with injected(dry):
        build([b], tmp_path / "dry", None)  # counts the operations of one rebuild
    print(f"\nops of one rebuild: {dict(dry.counts)}")
    assert dry.counts["write"] > 20 and dry.counts["fsync"] > 10 and dry.counts["rename"] == 2
    plan = [(kind, n, errno.EIO) for kind in ("write", "fsync", "rename") for n in range(1, dry.counts[kind] + 1)]
    plan += [("write", n, errno.ENOSPC) for n in range(1, dry.counts["write"] + 1)]
    if not long:
        plan = [*plan[::7], ("rename", 1, errno.EIO), ("rename", 2, errno.EIO)]
    switched = 0
    for kind, n, err in plan:
        faults = Faults(kind, n, err)
        try:
            with injected(faults):
                build([b], index_dir, None)
        except OSError as exc:
            assert faults.fired and exc.errno == err  # noqa: PT017 - every plan entry runs, none may stop the loop
            assert store.current_name(index_dir) == old_name, f"{kind} #{n} failed, yet CURRENT moved"
            assert fingerprint(index_dir) == old_fp
        else:
            # Only a fault after the switch (syncing the directory, pruning) may let
            # the rebuild succeed; then the new generation is live and complete.
            assert faults.fired and kind == "fsync"
            assert fingerprint(index_dir) != old_fp
            switched += 1
            build([a], index_dir, None)
            old_fp, old_name = fingerprint(index_dir), store.current_name(index_dir)
        cases.add()
    assert switched <= 1
    # the next rebuild, with no fault, cleans up and succeeds
    build([b], index_dir, None)
    assert not [p for p in store.generations_dir(index_dir).iterdir() if p.name.endswith(store.PARTIAL)]
    assert fingerprint(index_dir) != old_fp
