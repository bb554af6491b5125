"""Review pages on a large audit trail: 1,000,000 recorded calls by default (about 2,000,000 cards and
100,000 feedback items, a few with comments), spread over the 90 days up to today.

Run: python bench/bench_review.py [--calls 1000000] [--database-url URL]
Fills a fresh SQLite database (or the one given, which must be empty) with synthetic records, rebuilds the
daily rollups (`hamstring-cds audit rollup --rebuild`, timed), then times the dashboard (90 days), the
feedback analytics page and JSON, the monitor, /readyz, the call list (first page, a filtered page, a deep
keyset page), a call's drill-down and the JSON summary through the app, authenticated as a reviewer.
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
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cds_service import create_app  # noqa: E402
from cds_service.audit import rollup  # noqa: E402
from cds_service.audit.models import calls, cards, feedback  # noqa: E402

CRITERIA = [(f"HAM-{n:02d}", "critical" if n == 11 else "info" if n in (4, 8, 13) else "warning") for n in range(1, 14)]
SERVICES = ["hamstring-rehab-order-sign", "hamstring-rehab-order-select", "hamstring-rehab-patient-view"]
HOOKS = {"hamstring-rehab-order-sign": "order-sign", "hamstring-rehab-order-select": "order-select",
         "hamstring-rehab-patient-view": "patient-view"}
SITES = [("https://ehr.north.example", "north"), ("https://ehr.south.example", "south"),
         ("https://ehr.east.example", None)]
REASONS = [("clinical-judgement", "cds-not-applicable"), ("patient-declined", "patient-refuses"),
           ("already-addressed", "indication-order-exists"), (None, None)]


def fill(url: str, count: int, start: datetime) -> None:
    engine = create_engine(url)
    rng = random.Random(11)
    with engine.begin() as db:
        for first in range(1, count + 1, 5000):
            call_rows, card_rows, feedback_rows = [], [], []
            for call_id in range(first, min(first + 5000, count + 1)):
                when = start + timedelta(seconds=rng.randint(0, 90 * 86400))
                fired = rng.sample(CRITERIA, rng.choice((0, 0, 1, 2, 3, 4)))
                service = rng.choice(SERVICES)
                iss, tenant = rng.choice(SITES)
                call_rows.append({"id": call_id, "record_id": uuid.uuid4().hex, "hook_instance": str(uuid.uuid4()),
                                  "service_id": service, "hook": HOOKS[service], "received_at": when,
                                  "jwt_iss": iss, "tenant": tenant,
                                  "latency_ms": rng.uniform(1, 40), "status": 200 if rng.random() > 0.02 else 412,
                                  "patient_pseudonym": f"{rng.getrandbits(128):032x}", "fhir_queries": {},
                                  "guideline_version": "2026.11.0", "guideline_sha256": "0" * 64, "in_population": True,
                                  "failed_criteria": [], "card_count": len(fired), "silent_count": 0})
                for cid, indicator in fired:
                    card_uuid = str(uuid.uuid4())
                    card_rows.append({"call_id": call_id, "uuid": card_uuid, "criterion_id": cid,
                                      "indicator": indicator, "silent": False, "summary": f"{cid} summary",
                                      "observed": {"value": 1},
                                      "thresholds": {"limit": 2}, "suggestion_uuids": [f"s-{card_uuid}"],
                                      "suggestion_labels": [f"Fix {cid}"], "received_at": when})
                    if rng.random() < 0.05:  # most EHRs send no feedback
                        accepted = rng.random() < 0.5
                        code, standard = (None, None) if accepted else rng.choice(REASONS)
                        comment = "Discussed with the patient" if not accepted and rng.random() < 0.1 else None
                        feedback_rows.append({
                            "service_id": service, "card_uuid": card_uuid,
                            "outcome": "accepted" if accepted else "overridden",
                            "accepted_suggestions": [f"s-{card_uuid}"] if accepted else [],
                            "accepted_key": f"s-{card_uuid}" if accepted else "",
                            "override_system": None if code is None else "urn:hamstring-rehab-cds:override-reason",
                            "override_code": code, "override_display": code, "standard_code": standard,
                            "override_comment": comment,
                            "outcome_timestamp": when, "received_at": when, "card_known": True})
            db.execute(insert(calls), call_rows)
            if card_rows:
                db.execute(insert(cards), card_rows)
            if feedback_rows:
                db.execute(insert(feedback), feedback_rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hamstring-review-"))
    url = args.database_url or f"sqlite:///{work / 'audit.sqlite3'}"
    app = create_app({"instance_path": work, "database_url": url, "auth_required": False,
                      "review_users": {"quality": generate_password_hash("bench-password-123")},
                      "log_level": "WARNING"})
    client = app.test_client()
    client.get("/readyz")  # opens the store and runs the migrations
    today = date.today()
    since = today - timedelta(days=89)
    started = time.perf_counter()
    fill(url, args.calls, datetime.combine(since, datetime.min.time()))
    print(f"filled {args.calls} calls in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})")
    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as db:
        counted = rollup.rebuild(db)
    engine.dispose()
    print(f"rollups rebuilt in {time.perf_counter() - started:.1f} s ({counted['calls']} calls, {counted['cards']} "
          f"cards, {counted['feedback']} feedback items)")
    auth = {"Authorization": "Basic " + base64.b64encode(b"quality:bench-password-123").decode()}
    first = client.get("/review/api/calls", headers=auth).get_json()
    pages = {
        "dashboard (90 days)": f"/review/?since={since}&until={today}",
        "analytics page (90 days)": f"/review/analytics?since={since}&until={today}",
        "analytics JSON per tenant": f"/review/api/analytics?since={since}&until={today}&by=tenant&period=week",
        "monitor JSON": "/review/api/monitor",
        "/readyz (monitor cached)": "/readyz",
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
