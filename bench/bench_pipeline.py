"""In-process latency of one hook call: request bytes -> parsed -> pipeline -> response bytes.

Run: python bench/bench_pipeline.py [--rounds N]
Prints p50/p95/p99 for the typical (~25 KB) and large (~1.2 MB, 2,000 Observations) order-sign
bodies, and the large body's p50 against `json.loads` of the same bytes (target: at most 4x).
"warm" is a repeated call for the same patient (the validated-resource cache answers, as when
order-select fires again or order-sign follows it); "cold" clears that cache before every call (the
first call a process serves); "new patient" sends each call for a patient not seen before, to a
process that has served others (their resources are of no use, shared elements such as codes are).
"free text" is the typical call with what clinicians write (exercise names, a note withholding sprinting
and bed rest, a conditional referral, an imaging report, notes on pain scores), every text new on each
call, so each is read with its assertion status (fhir_mappings/text_assertion.py) and none is cached.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import LARGE, TYPICAL, for_patient, with_free_text  # noqa: E402
from cds_service import jsonutil  # noqa: E402
from cds_service.settings import Settings  # noqa: E402
from cds_service.state import build_state  # noqa: E402
from fhir_mappings.parse import clear_validated  # noqa: E402

AS_OF = date(2026, 11, 23)
SERVICE = "hamstring-rehab-order-sign"


def warmups(rounds: int) -> int:
    """Untimed calls before `rounds` timed ones."""
    return max(3, rounds // 10)


def timings(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(warmups(rounds)):
        fn()
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    state = build_state(Settings(instance_path=Path("/tmp/hamstring-bench"), auth_required=False))

    def call(raw: bytes, cold: bool = False):  # type: ignore[no-untyped-def]
        def run() -> bytes:
            if cold:
                clear_validated()
            outcome = state.pipeline.run(SERVICE, jsonutil.loads(raw), AS_OF, "http://127.0.0.1:8080/criteria")
            assert outcome.status == 200, outcome.body
            return jsonutil.dumps(outcome.body)
        return run

    results = {}
    for name, body in (("typical", TYPICAL), ("large", LARGE)):
        raw = json.dumps(body).encode()
        rounds = args.rounds if name == "typical" else max(20, args.rounds // 10)
        cards = json.loads(call(raw)())["cards"]
        for mode in ("cold", "warm"):
            t = timings(call(raw, cold=mode == "cold"), rounds)
            results[f"{name} {mode}"] = t
            print(f"{name:8s} {mode} {len(raw) / 1024:8.1f} KB  p50 {statistics.median(t):7.2f} ms"
                  f"  p95 {pct(t, 95):7.2f} ms  p99 {pct(t, 99):7.2f} ms  cards {len(cards)}")
    patients = iter([for_patient(TYPICAL, n) for n in range(warmups(args.rounds) + args.rounds)])
    t = timings(lambda: call(next(patients))(), args.rounds)
    print(f"typical  new patient  p50 {statistics.median(t):7.2f} ms  p95 {pct(t, 95):7.2f} ms  "
          f"p99 {pct(t, 99):7.2f} ms")
    texts = iter([with_free_text(TYPICAL, n) for n in range(warmups(args.rounds) + args.rounds)])
    t = timings(lambda: call(next(texts), cold=True)(), args.rounds)
    print(f"free text, new texts, cold  p50 {statistics.median(t):7.2f} ms  p95 {pct(t, 95):7.2f} ms  "
          f"p99 {pct(t, 99):7.2f} ms")
    t = timings(call(with_free_text(TYPICAL, 1)), args.rounds)
    print(f"free text, warm  p50 {statistics.median(t):7.2f} ms  p95 {pct(t, 95):7.2f} ms  "
          f"p99 {pct(t, 99):7.2f} ms")
    raw = json.dumps(LARGE).encode()
    loads = timings(lambda: json.loads(raw), max(20, args.rounds // 10))
    for mode in ("cold", "warm"):
        ratio = statistics.median(results[f"large {mode}"]) / statistics.median(loads)
        print(f"json.loads of the large body: p50 {statistics.median(loads):.2f} ms; "
              f"pipeline ({mode}) / json.loads = {ratio:.2f}x")


if __name__ == "__main__":
    main()
