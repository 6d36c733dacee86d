"""The reliability suite: counts the cases each group tries, and prints the table
docs/reliability.md quotes. Long variants (`make reliability`, or `--long`) run
the full numbers the issue asks for; `make test` runs short ones."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

CASES: Counter[str] = Counter()
FAILURES: Counter[str] = Counter()
ORDER: list[str] = []


def long_run(config: pytest.Config) -> bool:
    return bool(config.getoption("--long")) or os.environ.get("HOIBAO_LONG") == "1"


@pytest.fixture
def long(request: pytest.FixtureRequest) -> bool:
    return long_run(request.config)


class Cases:
    def __init__(self, group: str) -> None:
        self.group = group
        if group not in ORDER:
            ORDER.append(group)

    def add(self, n: int = 1) -> None:
        CASES[self.group] += n


@pytest.fixture
def cases(request: pytest.FixtureRequest) -> Cases:
    marker = request.node.get_closest_marker("group")
    assert marker is not None, "reliability tests name their group: @pytest.mark.group('...')"
    return Cases(str(marker.args[0]))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "group(name): the docs/reliability.md row a test counts towards")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("group")
    if marker is not None and report.failed:
        FAILURES[str(marker.args[0])] += 1


def table() -> str:
    from tests.conftest import LEAKS, LOG_LINES_CHECKED

    rows = ["| test group | cases tried | failures |", "|---|---|---|"]
    rows += [f"| {g} | {CASES[g]:,} | {FAILURES[g]} |" for g in ORDER]
    rows.append(f"| Secrets: every log line of the run at DEBUG, scanned for a token pattern or a test secret "
                f"| {LOG_LINES_CHECKED[0]:,} lines | {LEAKS[0]} |")
    return "\n".join(rows)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not ORDER:
        return
    terminalreporter.write_sep("=", "reliability: " + ("long" if long_run(config) else "short") + " variants")
    terminalreporter.write_line(table())
    out = os.environ.get("HOIBAO_RELIABILITY_TABLE")
    if out:
        Path(out).write_text(table() + "\n", encoding="utf-8")
