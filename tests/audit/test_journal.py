"""The write-behind journal: a call's record is on disk before the answer, committed by the writer
thread in batches, and a process that dies leaves its records to be replayed, once each. Runs on
SQLite and on PostgreSQL (skipped without CDS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cds_service.audit.journal import Journal
from cds_service.audit.models import calls, cards
from cds_service.audit.records import CallRecord, CardRecord, now_utc
from tests.audit.support import SIGN, violating
from tests.audit.test_operations import cli

ROOT = Path(__file__).resolve().parents[2]


def record(number: int) -> CallRecord:
    card = CardRecord(uuid=f"card-{number}", criterion_id="HAM-01", indicator="warning", silent=False,
                      summary="Program shorter than 3 months", observed={"weeks": 6}, thresholds={"weeks": 12},
                      suggestion_uuids=[f"suggestion-{number}"])
    return CallRecord(service_id="hamstring-rehab-order-sign", status=200, received_at=now_utc(), latency_ms=1.0,
                      guideline_version="test", guideline_sha256="0" * 64, record_id=f"call-{number:04d}",
                      cards=[card])


def counts(app: Flask) -> tuple[int, int]:
    repository = app.extensions["cds"].store.reader()
    return repository.count(calls), repository.count(cards)


def test_calls_are_committed_by_the_writer_and_their_segments_removed(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    store = app.extensions["cds"].store
    client = app.test_client()
    for _ in range(5):
        assert client.post(SIGN, json=violating()).status_code == 200
    assert store.flush(), "the writer did not commit the journal"
    assert counts(app) == (5, 10)
    assert store.journal.backlog() == 0
    assert list(store.journal.folder.glob("*.jsonl")) == []  # committed segments are deleted
    assert [p.name.endswith(".lock") for p in store.journal.folder.iterdir()] == [True]  # this process's lock
    status = client.get("/readyz").get_json()["audit"]
    assert status == {"state": "ok", "database": "ok", "spooled": 0, "queued": 0, "lost": 0}


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from cds_service.audit.journal import Journal
    from tests.audit.test_journal import record
    journal = Journal(Path({folder!r}))
    for number in range(40):
        journal.append(record(number))
    journal.take(timeout=0)  # a batch taken (its segment closed) but never committed
    for number in range(40, 60):
        journal.append(record(number))
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_killed_process_leaves_its_journal_to_be_replayed_once(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    store = app.extensions["cds"].store
    already = [record(n) for n in range(10)]  # committed before the kill, segment not yet deleted
    store.repository.write_calls(already)
    script = KILLED_WRITER.format(root=str(ROOT), folder=str(store.journal.folder))
    dead = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert dead.returncode == -signal.SIGKILL, dead.stderr.decode()
    assert len(list(store.journal.folder.glob("*.jsonl"))) == 2

    assert store.adopt_orphans() == 2
    assert list(store.journal.folder.glob("*")) == []  # the dead process's lock file is gone too
    store.flush_spool()
    assert counts(app) == (60, 60)  # 60 calls, the 10 committed before the kill not duplicated
    assert store.adopt_orphans() == 0


def test_audit_flush_replays_the_journal_a_stopped_service_left(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app()
    folder = app.extensions["cds"].store.journal.folder
    script = KILLED_WRITER.format(root=str(ROOT), folder=str(folder))
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT).returncode == -signal.SIGKILL
    code, out, _ = cli(monkeypatch, capsys, audit_settings, "audit", "flush")
    assert code == 0 and out.strip() == "replayed 60 spooled records (2 journal segments of stopped processes)"
    assert counts(app) == (60, 60)


def test_segments_of_a_live_process_are_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from cds_service.audit.journal import Journal
        from tests.audit.test_journal import record
        journal = Journal(Path({str(folder)!r}))
        journal.append(record(1))
        print("appended", flush=True)
        time.sleep(30)
    """)], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"appended\n"
        sweeper = Journal(folder)
        assert list(sweeper.orphans()) == []
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert [p.name.split(".")[-1] for p in sweeper.orphans()] == ["jsonl"]
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()


def test_a_journal_that_cannot_be_written_falls_back_to_a_synchronous_commit(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app()
    store = app.extensions["cds"].store
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal folder should be")
    store.journal.folder = blocker
    assert app.test_client().post(SIGN, json=violating()).status_code == 200
    assert counts(app) == (1, 2)
    assert store.lost == 0


def test_journal_fsync_syncs_each_record_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    Journal(tmp_path / "plain").append(record(1))
    assert synced == []
    durable = Journal(tmp_path / "durable", fsync=True)
    durable.append(record(1))
    durable.append(record(2))
    assert len(synced) == 2
    batch, segment = durable.take(timeout=0)
    assert [r.record_id for r in batch] == ["call-0001", "call-0002"]
    assert segment is not None and len(segment.read_bytes().splitlines()) == 2
