"""The jti replay check keeps working while the audit database is down (bench/load.py found 500s)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cds_service.audit.connection import AuditDatabase
from cds_service.audit.recorder import AuditTrail
from cds_service.audit.spool import Spool
from tests.fhir_server import free_port


def test_replay_check_falls_back_to_a_host_store_and_remembers_after_recovery(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "audit-spool.jsonl")
    expires = time.time() + 300
    down = AuditTrail(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone", spool, 1.0, migrate=False)
    assert down.remember("https://ehr.example.org", "jti-1", expires) is True
    assert down.remember("https://ehr.example.org", "jti-1", expires) is False  # a replay is still refused
    back = AuditTrail(f"sqlite:///{tmp_path / 'audit.sqlite3'}", spool, 1.0, migrate=True)
    assert back.remember("https://ehr.example.org", "jti-1", expires) is False  # seen during the outage
    assert back.remember("https://ehr.example.org", "jti-2", expires) is True
    assert back.remember("https://ehr.example.org", "jti-2", expires) is False
    down.close()
    back.close()


def test_while_the_database_is_down_calls_do_not_wait_for_a_connection(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """After one failed connection the check backs off like the rest of the audit trail (CDS_AUDIT_RETRY_SECONDS):
    the next tokens go to the host store at once instead of each waiting for a connect timeout."""
    trail = AuditTrail(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone",
                       Spool(tmp_path / "audit-spool.jsonl"), 60.0, migrate=False)
    tried: list[str] = []
    real = AuditDatabase.repository.fget
    monkeypatch.setattr(AuditDatabase, "repository", property(lambda db: tried.append("db") or real(db)))
    expires = time.time() + 300
    assert all(trail.remember("https://ehr.example.org", f"jti-{i}", expires) for i in range(5))
    assert tried == ["db"]  # one attempt, then the back-off
    assert trail.remember("https://ehr.example.org", "jti-3", expires) is False  # still refused as a replay
    trail.close()
