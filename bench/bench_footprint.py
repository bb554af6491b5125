"""Start-up cost and memory of one worker: import time, start-up time, resident memory.

Run: python bench/bench_footprint.py [--rounds N]
Each round is a fresh interpreter (so imports are not already cached) that imports the service, builds
its state as the app factory does (guideline, pipeline and whatever it loads at start-up), then serves
the typical order-sign call 50 times and the 1.2 MB one 5 times. Prints medians over the rounds:
import time, start-up time, the first call, and the resident set size (VmRSS) after each step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from datetime import date
from pathlib import Path
sys.path.insert(0, sys.argv[1])

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

out = {"rss_interpreter_mb": rss_mb()}
t0 = time.perf_counter()
import cds_service  # noqa: F401
from cds_service.app import create_app  # noqa: F401
from cds_service import jsonutil
from cds_service.settings import Settings
from cds_service.state import build_state
out["import_ms"] = (time.perf_counter() - t0) * 1000
out["rss_imported_mb"] = rss_mb()
t0 = time.perf_counter()
state = build_state(Settings(instance_path=Path("/tmp/hamstring-bench"), auth_required=False))
out["startup_ms"] = (time.perf_counter() - t0) * 1000
out["rss_started_mb"] = rss_mb()
from bench.workloads import LARGE, TYPICAL
typical, large = json.dumps(TYPICAL).encode(), json.dumps(LARGE).encode()
def call(raw):
    outcome = state.pipeline.run("hamstring-rehab-order-sign", jsonutil.loads(raw), date(2026, 11, 23), "http://x")
    assert outcome.status == 200
t0 = time.perf_counter()
call(typical)
out["first_call_ms"] = (time.perf_counter() - t0) * 1000
for _ in range(49):
    call(typical)
for _ in range(5):
    call(large)
out["rss_served_mb"] = rss_mb()
print(json.dumps(out))
"""

LABELS = {
    "import_ms": "import cds_service (+ create_app)",
    "startup_ms": "build_state (app factory's start-up)",
    "first_call_ms": "first typical call after start-up",
    "rss_interpreter_mb": "RSS, bare interpreter",
    "rss_imported_mb": "RSS after imports",
    "rss_started_mb": "RSS after start-up",
    "rss_served_mb": "RSS after 50 typical + 5 large calls",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for _ in range(args.rounds):
        done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], capture_output=True, text=True,
                              check=True, cwd=ROOT)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for key, label in LABELS.items():
        values = [r[key] for r in runs]
        unit = "ms" if key.endswith("_ms") else "MB"
        print(f"{label:40s} median {statistics.median(values):8.1f} {unit}  "
              f"(min {min(values):.1f}, max {max(values):.1f})")


if __name__ == "__main__":
    main()
