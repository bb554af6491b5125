"""Audit write cost per call, on SQLite and PostgreSQL: the same in-process hook call timed with the
audit trail writing, and with its write replaced by nothing, in one run.

Run: python bench/bench_audit.py [--rounds 300] [--postgres postgresql://postgres@127.0.0.1:5432]
PostgreSQL gets a fresh database per run. Authentication is off; the call is the typical order-sign
body (7 cards, so one call row and seven card rows per record).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import TYPICAL  # noqa: E402
from cds_service import create_app  # noqa: E402
from cds_service.audit.recorder import AuditTrail  # noqa: E402


def median_ms(client: Any, rounds: int) -> float:
    body = json.dumps(TYPICAL)
    samples = []
    for i in range(rounds + 20):
        started = time.perf_counter()
        response = client.post("/cds-services/hamstring-rehab-order-sign", data=body,
                               headers={"Content-Type": "application/json"})
        if i >= 20:
            samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(samples)


def measure(label: str, database_url: str, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="hamstring-audit-"))
    app = create_app({"instance_path": work, "database_url": database_url, "auth_required": False,
                      "audit_pseudonym_secret": "bench-audit-pseudonym-key", "log_level": "WARNING"})
    client = app.test_client()
    with_audit = median_ms(client, rounds)
    original = AuditTrail.record_call
    AuditTrail.record_call = lambda self, record: "stored"  # type: ignore[method-assign]
    try:
        without = median_ms(client, rounds)
    finally:
        AuditTrail.record_call = original  # type: ignore[method-assign]
    print(f"{label:11s} call with audit {with_audit:6.2f} ms, without {without:6.2f} ms: "
          f"audit write {with_audit - without:5.2f} ms per call")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    measure("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'audit.sqlite3'}", args.rounds)
    try:
        import psycopg

        name = f"hamstring_audit_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - a laptop without PostgreSQL still gets the SQLite figure
        print(f"PostgreSQL skipped: {exc}")
        return
    measure("PostgreSQL", f"{args.postgres.replace('postgresql://', 'postgresql+psycopg://')}/{name}", args.rounds)


if __name__ == "__main__":
    main()
