"""The jti replay check keeps working while the audit database is down (bench/load.py found 500s)."""

from __future__ import annotations

import time
from pathlib import Path

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
