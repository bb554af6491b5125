"""The spool's drain thread and a record spooled just as it ends (cds_service/audit/spooler.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cds_service.audit import spooler as spooler_module
from cds_service.audit.connection import AuditDatabase
from cds_service.audit.spool import Spool
from cds_service.audit.spooler import Spooler


def test_a_record_spooled_as_the_drain_thread_ends_is_drained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread saw an empty spool and was about to end when another thread spooled a record and found it still
    alive: the record waited for the next successful write. Now the check and the end are one step under the lock
    start_draining takes, so the late record starts a new drain."""
    database = AuditDatabase("sqlite://", migrate=False, retry_seconds=0.02)
    spool = Spool(tmp_path / "audit-spool.jsonl")
    spooler = Spooler(database, spool)
    replayed: list[Any] = []
    monkeypatch.setattr(AuditDatabase, "repository", property(lambda db: None))
    monkeypatch.setattr(spooler_module, "replay_entries", lambda _repository, entries: replayed.extend(entries))
    late: list[threading.Thread] = []
    real = spool.has_pending

    def has_pending() -> bool:
        found = real()
        if not found and not late:  # the moment the thread decides to end: another thread spools a record
            spool.append("feedback", {"late": True})
            late.append(threading.Thread(target=spooler.start_draining))
            late[0].start()
            time.sleep(0.05)  # the late writer reaches start_draining while the drain thread is still alive
        return found

    monkeypatch.setattr(spool, "has_pending", has_pending)
    spool.append("feedback", {"first": True})
    spooler.start_draining()
    deadline = time.monotonic() + 5
    while (real() or not late) and time.monotonic() < deadline:
        time.sleep(0.02)
    spooler.close()
    late[0].join(timeout=5)
    assert not real(), "the record spooled as the drain thread ended is still waiting"
    assert [e["record"] for e in replayed] == [{"first": True}, {"late": True}]
