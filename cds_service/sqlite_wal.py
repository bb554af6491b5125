"""The SQLite files the service writes (the audit database, the jti replay file): WAL mode, so readers
never block the writer, and `synchronous=NORMAL`, so a commit survives the process dying without an
fsync on every commit (the last commits can be lost to a power cut).

WAL is kept in the file, so a new file is switched once. Processes opening a new file at the same
moment (gunicorn workers starting together) can find it locked by the one switching it: SQLite answers
that switch "database is locked" at once, without its busy timeout, so the others try again until the
file is in WAL mode.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

BUSY_TIMEOUT_MS = 10_000
WAL_SWITCH_SECONDS = 10.0


def prepare(connection: Any) -> None:
    """Busy timeout, WAL and synchronous=NORMAL on a new sqlite3 connection."""
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)
