"""What every SQLite store here shares (fetch state, alert queue, question log): explicit
short transactions and numbered migrations recorded in `PRAGMA user_version`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

Migration = Callable[[sqlite3.Connection], None]


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT on an autocommit connection (isolation_level=None); any
    exception rolls back. IMMEDIATE takes the write lock at once, so two writers queue
    on the busy timeout instead of failing half-way."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations not applied yet (user_version N = the first N ran), each in its
    own transaction; the version is read again inside it, as another process may have won."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(migrations[version:], start=version + 1):
        with transaction(db):
            if db.execute("PRAGMA user_version").fetchone()[0] < number:
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
