"""Review pages on a large audit trail: 100,000 recorded calls (about 250,000 cards, 50,000 feedback).

Run: python bench/bench_review.py [--calls 100000] [--database-url URL]
Fills a fresh SQLite database (or the one given) with synthetic records spread over 90 days, then times
the dashboard, the call list (first page, a filtered page, a deep keyset page), a call's drill-down and
the JSON API through the app, authenticated as a reviewer.
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cds_service import create_app  # noqa: E402
from cds_service.audit.models import calls, cards, feedback  # noqa: E402

CRITERIA = [(f"HAM-{n:02d}", "critical" if n == 11 else "info" if n in (4, 8, 13) else "warning") for n in range(1, 14)]
SERVICES = ["hamstring-rehab-order-sign", "hamstring-rehab-order-select", "hamstring-rehab-patient-view"]


def fill(url: str, count: int) -> None:
    engine = create_engine(url)
    rng = random.Random(11)
    start = datetime(2026, 8, 25)
    with engine.begin() as db:
        for first in range(1, count + 1, 5000):
            call_rows, card_rows, feedback_rows = [], [], []
            for call_id in range(first, min(first + 5000, count + 1)):
                when = start + timedelta(seconds=rng.randint(0, 90 * 86400))
                fired = rng.sample(CRITERIA, rng.choice((0, 0, 1, 2, 3, 4)))
                call_rows.append({"id": call_id, "record_id": uuid.uuid4().hex, "hook_instance": str(uuid.uuid4()),
                                  "service_id": rng.choice(SERVICES), "hook": "order-sign", "received_at": when,
                                  "latency_ms": rng.uniform(1, 40), "status": 200 if rng.random() > 0.02 else 412,
                                  "patient_pseudonym": f"{rng.getrandbits(128):032x}", "fhir_queries": {},
                                  "guideline_version": "2026.11.0", "guideline_sha256": "0" * 64, "in_population": True,
                                  "failed_criteria": [], "card_count": len(fired), "silent_count": 0})
                for cid, indicator in fired:
                    card_uuid = str(uuid.uuid4())
                    card_rows.append({"call_id": call_id, "uuid": card_uuid, "criterion_id": cid,
                                      "indicator": indicator, "silent": False, "summary": f"{cid} summary",
                                      "observed": {"value": 1},
                                      "thresholds": {"limit": 2}, "suggestion_uuids": [], "received_at": when})
                    if rng.random() < 0.2:
                        accepted = rng.random() < 0.5
                        feedback_rows.append({
                            "service_id": SERVICES[0], "card_uuid": card_uuid,
                            "outcome": "accepted" if accepted else "overridden", "accepted_suggestions": [],
                            "accepted_key": "", "override_code": None if accepted else "clinical-judgement",
                            "override_display": None if accepted else "Clinical judgement",
                            "outcome_timestamp": when, "received_at": when, "card_known": True})
            db.execute(insert(calls), call_rows)
            if card_rows:
                db.execute(insert(cards), card_rows)
            if feedback_rows:
                db.execute(insert(feedback), feedback_rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hamstring-review-"))
    url = args.database_url or f"sqlite:///{work / 'audit.sqlite3'}"
    app = create_app({"instance_path": work, "database_url": url, "auth_required": False,
                      "review_users": {"quality": generate_password_hash("bench-password-123")},
                      "log_level": "WARNING"})
    client = app.test_client()
    client.get("/readyz")  # opens the store and runs the migrations
    started = time.perf_counter()
    fill(url, args.calls)
    print(f"filled {args.calls} calls in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})")
    auth = {"Authorization": "Basic " + base64.b64encode(b"quality:bench-password-123").decode()}
    first = client.get("/review/api/calls", headers=auth).get_json()
    pages = {
        "dashboard (90 days)": "/review/?days=90",
        "call list, first page": "/review/calls",
        "call list, HAM-05 warnings": "/review/calls?criterion=HAM-05&indicator=warning",
        "call list, deep keyset page": f"/review/calls?before={args.calls // 10}",
        "call drill-down": f"/review/calls/{args.calls // 2}",
        "JSON summary": "/review/api/summary",
    }
    assert first is not None
    for label, path in pages.items():
        times = []
        for _ in range(7):
            t = time.perf_counter()
            response = client.get(path, headers=auth)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        print(f"{label:32s} median {statistics.median(times):8.1f} ms  max {max(times):8.1f} ms")


if __name__ == "__main__":
    main()
