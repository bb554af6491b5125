"""What metrics and traces cost one hook call (docs/benchmarks.md, "Metrics and traces").

Run: python bench/bench_observability.py [--rounds N] [--blocks B]
1. The metrics' own work for one typical order-sign call (its cards counted, its latency observed), as
   `serve` does it: values in PROMETHEUS_MULTIPROC_DIR files (mmap), set before prometheus_client loads.
2. The typical call through the Flask app (test client, audit included), in alternating blocks: metrics
   and tracing off; metrics on; metrics and tracing on (every span kept and exported in batches to an
   exporter that drops them). Medians of each configuration, taken in the same minutes.
3. A stage as a plain call when tracing is off: the wrapper's cost, against the bare function.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hamstring-bench-metrics-")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult  # noqa: E402

from bench.workloads import TYPICAL  # noqa: E402
from cds_service import create_app, tracing  # noqa: E402
from cds_service.metrics import Metrics  # noqa: E402
from cds_service.settings import Settings  # noqa: E402
from cds_service.state import build_state  # noqa: E402

SERVICE = "hamstring-rehab-order-sign"
PATH = f"/cds-services/{SERVICE}"


class Dropped(SpanExporter):
    def export(self, spans):  # type: ignore[no-untyped-def]
        return SpanExportResult.SUCCESS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def median_us(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e6)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300, help="calls per block")
    parser.add_argument("--blocks", type=int, default=4, help="blocks per configuration, alternated")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hamstring-bench-obs-"))
    base = {"auth_required": False, "instance_path": work / "instance"}

    state = build_state(Settings(**base))
    outcome = state.pipeline.run(SERVICE, TYPICAL, state.today())
    metrics = Metrics()
    record = lambda: (metrics.hook_answered(outcome), metrics.request_done(SERVICE, 200, 0.003))  # noqa: E731
    for _ in range(100):
        record()
    print(f"metrics of one call ({len(outcome.rendered)} cards, multiprocess files): "
          f"{median_us(record, 20 * args.rounds):.1f} us")

    off = create_app(base).test_client()
    on = create_app({**base, "metrics_port": free_port()}).test_client()
    configurations = {"off": (off, False), "metrics": (on, False), "metrics+traces": (on, True)}
    times: dict[str, list[float]] = {name: [] for name in configurations}
    for block in range(args.blocks):
        order = list(configurations.items())
        for name, (client, traced) in order[::-1] if block % 2 else order:  # neither always goes first
            if traced:
                tracing.use_exporter(Dropped(), batch=True)
            for _ in range(args.rounds // 10):  # warm-up
                client.post(PATH, json=TYPICAL)
            for _ in range(args.rounds):
                start = time.perf_counter()
                assert client.post(PATH, json=TYPICAL).status_code == 200
                times[name].append((time.perf_counter() - start) * 1000)
            tracing.disable()
    reference = statistics.median(times["off"])
    for name, values in times.items():
        p50 = statistics.median(values)
        print(f"HTTP path (test client) {name:15s} p50 {p50:6.3f} ms  ({p50 - reference:+.3f} ms)")

    def bare(x: int) -> int:
        return x

    wrapped = tracing.traced("stage")(bare)
    rounds = 200_000
    plain = min(timed(bare, rounds) for _ in range(5))
    stage = min(timed(wrapped, rounds) for _ in range(5))
    per_stage_us = (stage - plain) / rounds * 1e6
    print(f"a stage with tracing off: {per_stage_us:.3f} us over the bare call (7 stages per call: "
          f"{7 * per_stage_us:.2f} us)")


def timed(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for i in range(rounds):
        fn(i)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
