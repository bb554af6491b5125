"""How far the HTTP throughput of `serve` can go on this stack: the service against itself with parts of
each call taken away (bench/ablation_app.py), and against the bare Flask endpoint, in one run.

Run: python bench/bench_ceiling.py [--seconds 8] [--rounds 3] [--workers 2] [--threads 4]
Needs `wrk`. Traffic stays on 127.0.0.1. All servers run side by side (each with its own instance
folder) and are loaded in turns, round after round, so drift of the machine's speed hits all alike.
Each line gives requests/s, the server's CPU time per request and the ratio to the bare endpoint.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ablation_app import VARIANTS  # noqa: E402
from bench.bench_http import SERVICE, free_port, run_wrk, start, wait_ready, workload  # noqa: E402

LABELS = {
    "service": "service (as served)",
    "no-cds": "without the CDS pipeline",
    "no-audit": "... and without the audit record",
    "no-log": "... and without the request log line",
    "bare": "bare Flask endpoint",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    work, body_file, script = workload("hamstring-ceiling-")
    sizes = [str(args.workers), str(args.threads)]
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        for variant in VARIANTS:
            port = free_port()
            env = {**os.environ, "CDS_AUTH_REQUIRED": "false", "CDS_INSTANCE_PATH": str(work / variant)}
            servers[variant] = (port, start([sys.executable, str(ROOT / "bench" / "ablation_app.py"), variant,
                                             str(port), *sizes], env, log=work / f"{variant}.log"))
        for port, _ in servers.values():
            wait_ready(port)
        request = urllib.request.Request(f"http://127.0.0.1:{servers['service'][0]}{SERVICE}",
                                         data=body_file.read_bytes(), headers={"Content-Type": "application/json"})
        response_file = work / "response.json"
        response_file.write_bytes(urllib.request.urlopen(request, timeout=5).read())
        port = free_port()
        env = {**os.environ, "CDS_INSTANCE_PATH": str(work / "bare")}
        servers["bare"] = (port, start([sys.executable, str(ROOT / "bench" / "bare_app.py"), str(response_file),
                                        str(port), *sizes], env))
        wait_ready(port)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, (port, process) in servers.items():
                results[name].append(run_wrk(port, script, args.seconds, args.connections, process.pid))
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(10)
    print(f"workers={args.workers} threads={args.threads} connections={args.connections} "
          f"seconds={args.seconds} rounds={args.rounds}")
    bare_rps = statistics.median(r["rps"] for r in results["bare"])
    bare_cpu = statistics.median(r["cpu_ms"] for r in results["bare"])
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        cpu = statistics.median(r["cpu_ms"] for r in runs)
        errors = sum(int(r["non2xx"]) for r in runs)
        print(f"{LABELS[name]:40s} {rps:8.1f} req/s  {cpu:5.2f} ms CPU per request  "
              f"{rps / bare_rps:4.0%} of bare (by CPU {bare_cpu / cpu:4.0%})  non-2xx {errors}")
        if errors and name != "bare":
            print(f"    {name}: server output in {work / (name + '.log')}")


if __name__ == "__main__":
    main()
