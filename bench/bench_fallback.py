"""Fallback fetches: the service gets k prefetch keys from a slow FHIR server (200 ms per query).

Run: python bench/bench_fallback.py [--keys 4] [--delay 0.2] [--rounds 10]
A FHIR server on 127.0.0.1 answers every search after `delay` seconds; the typical order-sign call is
sent with `keys` prefetch keys left out, so the service fetches them (in parallel, one time budget).
Target: 4 queries of 200 ms each in at most 300 ms in total.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import TYPICAL  # noqa: E402
from cds_service.settings import Settings  # noqa: E402
from cds_service.state import build_state  # noqa: E402

KEYS = ["conditions", "observations", "procedures", "medicationRequests", "serviceRequests", "patient"]


def slow_server(delay: float, answers: dict[str, Any]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            time.sleep(delay)
            resource = self.path.split("?")[0].split("/")[2]
            body = json.dumps(answers.get(resource, {"resourceType": "Bundle", "type": "searchset"})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    prefetch = TYPICAL["prefetch"]
    answers = {"Condition": prefetch["conditions"], "Observation": prefetch["observations"],
               "Procedure": prefetch["procedures"], "MedicationRequest": prefetch["medicationRequests"],
               "ServiceRequest": prefetch["serviceRequests"], "Patient": prefetch["patient"]}
    server = slow_server(args.delay, answers)
    origin = f"http://127.0.0.1:{server.server_port}"
    state = build_state(Settings(instance_path=Path(tempfile.mkdtemp()), auth_required=False,
                                 fhir_server_allowlist=[origin], fhir_allow_http_loopback=True))
    missing = KEYS[:args.keys]
    body = {**TYPICAL, "fhirServer": f"{origin}/fhir",
            "prefetch": {k: v for k, v in prefetch.items() if k not in missing}}
    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        outcome = state.pipeline.run("hamstring-rehab-order-sign", json.loads(json.dumps(body)), date(2026, 11, 23))
        times.append((time.perf_counter() - started) * 1000)
        assert outcome.status == 200, outcome.body
    server.shutdown()
    print(f"{args.keys} missing keys, {args.delay * 1000:.0f} ms per query: median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms over {args.rounds} calls ({len(outcome.body['cards'])} cards)")


if __name__ == "__main__":
    main()
