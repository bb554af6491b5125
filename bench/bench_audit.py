"""Audit cost per call, on SQLite and PostgreSQL, in two parts:

- on the answer's path: the same in-process hook call timed with the audit trail recording (building
  the record, appending it to the journal) and with recording replaced by nothing;
- in the writer thread: committing records of that call (one call row, seven card rows) in batches of
  1, 10 and 100, per record, into tables that already hold `--existing` calls (index maintenance
  grows with the table, so an empty table flatters the writer).

Run: python bench/bench_audit.py [--rounds 300] [--existing 20000]
                                 [--postgres postgresql://postgres@127.0.0.1:5432]
PostgreSQL gets a fresh database per run. Authentication is off; the call is the typical order-sign
body (7 cards).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import TYPICAL  # noqa: E402
from cards.ids import new_hex_id, new_uuid  # noqa: E402
from cds_service import create_app  # noqa: E402
from cds_service.audit.recorder import AuditTrail  # noqa: E402
from cds_service.audit.records import CallRecord  # noqa: E402


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


def measure(label: str, database_url: str, rounds: int, existing: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="hamstring-audit-"))
    app = create_app({"instance_path": work, "database_url": database_url, "auth_required": False,
                      "audit_pseudonym_secret": "bench-audit-pseudonym-key", "log_level": "WARNING"})
    client = app.test_client()
    store = app.extensions["cds"].store
    captured: list[CallRecord] = []
    original = AuditTrail.record_call
    AuditTrail.record_call = lambda self, record: captured.append(record) or "stored"  # type: ignore[method-assign]
    try:
        without = median_ms(client, rounds)
    finally:
        AuditTrail.record_call = original  # type: ignore[method-assign]
    with_audit = median_ms(client, rounds)
    store.flush()
    print(f"{label:11s} answer path: call with audit {with_audit:6.2f} ms, without {without:6.2f} ms: "
          f"{with_audit - without:5.2f} ms per call")
    template = captured[-1]
    for _ in range(0, existing, 500):
        store.repository.write_calls([_copy(template) for _ in range(500)])
    for size in (1, 10, 100):
        batches = max(3, rounds // size)
        started = time.perf_counter()
        for _ in range(batches):
            store.repository.write_calls([_copy(template) for _ in range(size)], refresh_feedback=True)
        per_record = (time.perf_counter() - started) * 1000 / (batches * size)
        print(f"{label:11s} writer: batch of {size:3d} records: {per_record:5.2f} ms per record")
    store.close()


def _copy(record: CallRecord) -> CallRecord:
    """The record of another call: new ids from the service's own generators."""
    return replace(record, record_id=new_hex_id(), cards=[replace(card, uuid=new_uuid()) for card in record.cards])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--existing", type=int, default=20000, help="calls already stored before the writer is timed")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    measure("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'audit.sqlite3'}", args.rounds, args.existing)
    try:
        import psycopg

        name = f"hamstring_audit_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - a laptop without PostgreSQL still gets the SQLite figure
        print(f"PostgreSQL skipped: {exc}")
        return
    url = f"{args.postgres.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    measure("PostgreSQL", url, args.rounds, args.existing)


if __name__ == "__main__":
    main()
