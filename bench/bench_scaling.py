"""In-process latency by prefetch size, with a plot: 25 KB to 1.2 MB (0 to 1,992 extra Observations).

Run: python bench/bench_scaling.py [--rounds 60] [--plot docs/latency-scaling.png]
Needs matplotlib for the plot (pip install matplotlib); without it the table is still printed.
Each size is measured cold (validated-resource cache cleared) and warm, against `json.loads` of the
same bytes in the same run.
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

from bench.workloads import order_sign  # noqa: E402
from cds_service import jsonutil  # noqa: E402
from cds_service.settings import Settings  # noqa: E402
from cds_service.state import build_state  # noqa: E402
from fhir_mappings.parse import clear_validated  # noqa: E402

EXTRA_OBSERVATIONS = (0, 125, 250, 500, 1000, 1500, 1992)


def median_ms(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    state = build_state(Settings(instance_path=Path("/tmp/hamstring-bench"), auth_required=False))
    rows = []
    for extra in EXTRA_OBSERVATIONS:
        raw = json.dumps(order_sign(extra_observations=extra)).encode()

        def call(cold: bool, raw: bytes = raw) -> None:
            if cold:
                clear_validated()
            outcome = state.pipeline.run("hamstring-rehab-order-sign", jsonutil.loads(raw), date(2026, 11, 23))
            jsonutil.dumps(outcome.body)

        def parse_only(raw: bytes = raw) -> None:
            json.loads(raw)

        rows.append((len(raw) / 1024, median_ms(lambda: call(True), args.rounds),
                     median_ms(lambda: call(False), args.rounds), median_ms(parse_only, args.rounds)))
    print(f"{'KB':>8} {'cold ms':>9} {'warm ms':>9} {'json.loads ms':>14} {'cold/loads':>11}")
    for size, cold, warm, loads in rows:
        print(f"{size:8.0f} {cold:9.2f} {warm:9.2f} {loads:14.2f} {cold / loads:10.2f}x")
    if args.plot:
        plot(rows, args.plot)


def plot(rows: list[tuple[float, float, float, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r[0] for r in rows]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(sizes, [r[1] for r in rows], marker="o", label="pipeline, cold")
    axes.plot(sizes, [r[2] for r in rows], marker="o", label="pipeline, warm")
    axes.plot(sizes, [r[3] for r in rows], marker="o", linestyle="--", label="json.loads of the body")
    axes.plot(sizes, [4 * r[3] for r in rows], linestyle=":", color="grey", label="target: 4x json.loads")
    axes.set_xlabel("request body (KB)")
    axes.set_ylabel("p50 latency (ms)")
    axes.set_title("In-process order-sign latency by prefetch size")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
