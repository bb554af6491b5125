"""The SQLite files the service writes switch to WAL once, even when a new file is being written by
another process at that moment, as when workers start together (cds_service/sqlite_wal.py). SQLite
answers that switch "database is locked" at once, without waiting its busy timeout, so it is retried."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service import sqlite_wal
from cds_service.audit.database import make_engine
from cds_service.auth.replay import SqliteReplayGuard


@pytest.fixture
def locked_for_a_moment(tmp_path: Path) -> Iterator[Path]:
    """A new SQLite file (not yet in WAL mode) whose write lock another connection holds for 0.3 s."""
    path = tmp_path / "new.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other_process (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO other_process VALUES (1)")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    yield path
    release.join()
    holder.close()


def mode(path: Path) -> str:
    return str(sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0])


def test_the_switch_waits_for_the_lock_instead_of_failing(locked_for_a_moment: Path) -> None:
    connection = sqlite3.connect(locked_for_a_moment, isolation_level=None)
    started = time.monotonic()
    sqlite_wal.prepare(connection)
    assert time.monotonic() - started >= 0.2  # it waited for the holder's commit
    assert mode(locked_for_a_moment) == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_the_audit_database_and_the_replay_file_open_while_another_process_writes(
        locked_for_a_moment: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{locked_for_a_moment}")
    try:
        with engine.connect() as db:
            assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
    replay = tmp_path / "replay.sqlite3"
    holder = sqlite3.connect(replay, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE other_process (x)")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    assert SqliteReplayGuard(replay).remember("https://ehr.example.org", "jti-1", time.time() + 60)
    assert mode(replay) == "wal"
    holder.close()
