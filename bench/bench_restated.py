"""Issue 17 §4, the restated speed targets, in one run on one machine: `hamstring-cds serve` with
authentication on (a development ES384 issuer; a fresh token and jti on every call) beside the bare Flask
endpoint under the same gunicorn server, sent the same body and the same headers.

Run: python bench/bench_restated.py [--duration 60] [--startups 5] [--cpu-seconds 10] [--cpu-rounds 3]
Needs `wrk`. Loopback only, bounded. Reports, in this order:
1. time from process start to the first answered signed call, `--startups` times (a fresh instance folder each);
2. worker memory (RSS, PSS, private) after 1,000 and after 10,000 calls, a patient not seen lately on each;
3. server CPU per request (the server's process tree, from /proc: the client's CPU is not in it), service and
   bare in turns, `--cpu-rounds` times, and their ratio;
4. p50 of one connection, then p99 at `--connections` for `--duration` seconds, and errors (the bare endpoint
   the same way for 10 s); then the service at `--connections` paced to about half its saturated rate.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN_MARGIN = 3  # tokens minted per call expected: the machine may be faster than when CPU per call was read
sys.path.insert(0, str(ROOT))

from bench.bench_http import SERVICE, free_port, start, tree_cpu_seconds  # noqa: E402
from bench.signed_traffic import Minter, children, memory_mb, run_wrk, send, wrk_script  # noqa: E402
from bench.workloads import TYPICAL, for_patient  # noqa: E402
from cds_service.auth.devkeys import create_dev_issuer  # noqa: E402


class Run:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="hamstring-restated-"))
        self.issuer = create_dev_issuer(self.work / "issuer")
        self.body = self.work / "request.json"
        self.body.write_bytes(json.dumps(TYPICAL).encode())
        self.batches = itertools.count()

    def env(self, instance: str) -> dict[str, str]:
        return {
            **os.environ,
            "CDS_CONFIG": str(self.issuer.config),
            "CDS_INSTANCE_PATH": str(self.work / instance),
            "CDS_AUTH_REQUIRED": "true",
        }

    def serve(self, instance: str, port: int) -> tuple[subprocess.Popen[bytes], float]:
        cmd = [
            sys.executable,
            "-m",
            "cds_service.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(self.args.workers),
            "--threads",
            str(self.args.threads),
        ]
        started = time.monotonic()
        return start(cmd, self.env(instance), log=self.work / f"{instance}.log"), started

    def minter(self, port: int) -> Minter:
        return Minter(self.issuer.folder, f"http://127.0.0.1:{port}{SERVICE}")

    def first_answer(self, port: int, started: float, timeout: float = 60.0) -> float:
        """Seconds from `started` to the first 200 to a signed typical call."""
        minter, data = self.minter(port), self.body.read_bytes()
        while time.monotonic() - started < timeout:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{SERVICE}",
                data=data,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {minter.mint()}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.01)
        raise RuntimeError(f"no answer on port {port} within {timeout} s (see {self.work})")

    def script(self, port: int, tokens: int, threads: int, delay_ms: int = 0) -> Path:
        path = self.minter(port).write(self.work / f"tokens-{next(self.batches)}.txt", tokens)
        return wrk_script(self.work, self.body, path, threads, delay_ms)


def startups(run: Run, times: int) -> list[float]:
    seconds = []
    for index in range(times):
        port = free_port()
        process, started = run.serve(f"startup-{index}", port)
        try:
            seconds.append(run.first_answer(port, started))
        finally:
            process.terminate()
            process.wait(15)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60, help="seconds at --connections (the p99 figure)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--cpu-seconds", type=float, default=10)
    parser.add_argument("--cpu-rounds", type=int, default=3)
    parser.add_argument("--cpu-connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 10000], help="memory read after each")
    args = parser.parse_args()
    run = Run(args)
    print(
        f"workers={args.workers} threads={args.threads} load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; work folder {run.work}"
    )

    start_times = startups(run, args.startups)
    print(
        f"start to first answered call: median {statistics.median(start_times):.2f} s "
        f"({', '.join(f'{s:.2f}' for s in start_times)})"
    )

    port, bare_port = free_port(), free_port()
    service, started = run.serve("service", port)
    servers = [service]
    try:
        run.first_answer(port, started)
        response = run.work / "response.json"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{SERVICE}",
            data=run.body.read_bytes(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {run.minter(port).mint()}"},
        )
        response.write_bytes(urllib.request.urlopen(request, timeout=10).read())
        bare = start(
            [
                sys.executable,
                str(ROOT / "bench" / "bare_app.py"),
                str(response),
                str(bare_port),
                str(args.workers),
                str(args.threads),
            ],
            run.env("bare"),
            log=run.work / "bare.log",
        )
        servers.append(bare)
        cpu_ms = memory(run, port, service.pid, args.calls)
        measured = ratio(run, port, bare_port, service.pid, bare.pid, cpu_ms)
        latency(run, port, bare_port, min(cpu_ms, measured))
        for pid in children(service.pid):
            print(f"worker {pid} at the end: " + ", ".join(f"{k} {v:.1f} MB" for k, v in memory_mb(pid).items()))
    finally:
        for server in servers:
            server.terminate()
            server.wait(15)
    for tokens in run.work.glob("tokens-*.txt"):  # tens of MB; the servers' logs and databases stay
        tokens.unlink()
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def memory(run: Run, port: int, pid: int, calls: list[int]) -> float:
    """Worker memory after each number of `calls` signed calls (1,000 patients in turn); returns the server
    CPU per call of this phase (ms), which sizes the token batches of the later phases."""
    bodies = itertools.cycle([for_patient(TYPICAL, n) for n in range(1000)])
    minter, done, cpu_before, cpu_ms = run.minter(port), 1, tree_cpu_seconds(pid), 0.0
    for target in calls:
        failures = send(port, SERVICE, bodies, minter, target - done, 4)
        cpu_ms = (tree_cpu_seconds(pid) - cpu_before) * 1000 / max(target - 1, 1)
        done = target
        for worker in children(pid):
            figures = ", ".join(f"{k} {v:.1f} MB" for k, v in memory_mb(worker).items())
            print(f"after {target} calls: worker {worker}: {figures}")
        print(f"after {target} calls: failures {len(failures)}, server CPU per call so far {cpu_ms:.2f} ms")
    return cpu_ms


def tokens_for(seconds: float, cpu_ms: float) -> int:
    """Tokens enough for `seconds` of calls on two cores at `cpu_ms` each, with room for a machine that gets
    faster than when `cpu_ms` was read (each token is sent once: a token used again is refused as a replay)."""
    return int(TOKEN_MARGIN * seconds * 2000 / max(cpu_ms, 0.5)) + 1000


def ratio(run: Run, port: int, bare_port: int, pid: int, bare_pid: int, cpu_ms: float) -> float:
    """Server CPU per request, service and bare endpoint in turns, the same wrk script (body and tokens); returns
    the service's median (ms)."""
    args = run.args
    tokens = tokens_for(args.cpu_seconds, cpu_ms)
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for index in range(args.cpu_rounds):
        script = run.script(port, tokens, 2)
        for target, server, figures in ((port, pid, ours), (bare_port, bare_pid, theirs)):
            before = tree_cpu_seconds(server)
            result = run_wrk(f"http://127.0.0.1:{target}{SERVICE}", script, args.cpu_seconds, args.cpu_connections, 2)
            result["cpu_ms"] = (tree_cpu_seconds(server) - before) * 1000 / max(result["requests"], 1)
            figures.append(result)
        print(
            f"round {index + 1}: service {ours[-1]['cpu_ms']:.2f} ms CPU per request ({ours[-1]['rps']:.0f} req/s, "
            f"errors {ours[-1]['errors']}, tokens {tokens}), bare {theirs[-1]['cpu_ms']:.2f} ms "
            f"({theirs[-1]['rps']:.0f} req/s): {ours[-1]['cpu_ms'] / theirs[-1]['cpu_ms']:.2f}x"
        )
    mine, bare = statistics.median(r["cpu_ms"] for r in ours), statistics.median(r["cpu_ms"] for r in theirs)
    print(
        f"server CPU per request (median of {args.cpu_rounds}, {args.cpu_connections} connections): service "
        f"{mine:.2f} ms, bare {bare:.2f} ms, ratio {mine / bare:.2f}x (target <= 3x)"
    )
    return mine


def latency(run: Run, port: int, bare_port: int, cpu_ms: float) -> None:
    """p50 of one connection and p99 at --connections, the service for --duration and the bare endpoint for
    10 s; then the service at --connections paced to about half of what two cores can serve."""
    args = run.args
    figures = {}
    for name, target, seconds in (("service", port, args.duration), ("bare", bare_port, 10)):
        url = f"http://127.0.0.1:{target}{SERVICE}"
        single = run_wrk(url, run.script(port, tokens_for(10, cpu_ms) // 2, 1), 10, 1, 1)
        tokens = tokens_for(seconds, cpu_ms)
        loaded = run_wrk(url, run.script(port, tokens, 2), seconds, args.connections, 2)
        figures[name] = single, loaded
        print(
            f"{name}: one connection, 10 s: p50 {single['p50']:.2f} ms, p99 {single['p99']:.2f} ms, "
            f"{single['rps']:.0f} req/s, errors {single['errors']}; {args.connections} connections, {seconds:.0f} s: "
            f"p50 {loaded['p50']:.2f} ms, p90 {loaded['p90']:.2f} ms, p99 {loaded['p99']:.2f} ms, "
            f"{loaded['rps']:.0f} req/s, {loaded['requests']} calls, errors {loaded['errors']}; "
            f"p99 / single p50 = {loaded['p99'] / single['p50']:.1f}x (target <= 10x)"
        )
    single, loaded = figures["service"]
    delay_ms = max(1, round(args.connections / (0.5 * loaded["rps"]) * 1000 - single["p50"]))
    paced = run_wrk(
        f"http://127.0.0.1:{port}{SERVICE}",
        run.script(port, int(1.5 * 0.5 * loaded["rps"] * args.duration) + 1000, 2, delay_ms),
        args.duration,
        args.connections,
        2,
    )
    print(
        f"service, {args.connections} connections paced ({delay_ms} ms between a connection's calls), "
        f"{args.duration:.0f} s: {paced['rps']:.0f} req/s ({paced['rps'] / loaded['rps']:.0%} of the saturated rate), "
        f"p50 {paced['p50']:.2f} ms, p99 {paced['p99']:.2f} ms, errors {paced['errors']}; p99 / single p50 = "
        f"{paced['p99'] / single['p50']:.1f}x"
    )


if __name__ == "__main__":
    main()
