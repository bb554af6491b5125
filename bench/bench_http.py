"""HTTP throughput of `hamstring-cds serve` against a bare Flask endpoint, same server, same workers.

Run: python bench/bench_http.py [--seconds 10] [--rounds 3] [--connections 16] [--workers 2] [--threads 4]
                                [--patients N]
Needs `wrk` (Debian package). Traffic stays on 127.0.0.1. Both servers get the typical order-sign
body over keep-alive connections; the bare endpoint returns the service's own response bytes, so the
ratio is what the CDS logic costs on top of Flask + gunicorn. Both servers run side by side and are
loaded in turns (service, bare, service, ...), so drift of the machine's speed hits both alike.
By default every request is the same body (a patient the service has seen: its validated resources are
reused); `--patients N` rotates N bodies of N different patients (bench.workloads.for_patient), more
than the validated-resource cache holds, so every call is a patient the worker has not seen lately.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.workloads import TYPICAL, for_patient  # noqa: E402

SERVICE = "/cds-services/hamstring-rehab-order-sign"
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""
# N bodies in turn; each wrk thread starts at its own place in the rotation.
LUA_ROTATING = """
local bodies, count, counter, threads = {{}}, {count}, 0, 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  for k = 0, count - 1 do
    local f = io.open("{folder}/" .. k .. ".json", "rb")
    bodies[k] = f:read("*a")
    f:close()
  end
  counter = id * 7919
end
function request()
  counter = counter + 1
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json"}}, bodies[counter % count])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def run_wrk(port: int, script: Path, seconds: int, connections: int, server: int) -> dict[str, float]:
    cpu_before = tree_cpu_seconds(server)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}{SERVICE}"], check=True, capture_output=True, text=True).stdout
    cpu = tree_cpu_seconds(server) - cpu_before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": _ms(lat["50"]), "p99": _ms(lat["99"]), "non2xx": int(errors.group(1)) if errors else 0,
            "cpu_ms": cpu * 1000 / max(total, 1)}


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live children (the gunicorn workers).
    Server CPU per request moves much less with this machine's speed drift than requests per second."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def workload(prefix: str) -> tuple[Path, Path, Path]:
    """A work folder with the typical body and the wrk script posting it (exits when wrk is missing)."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix=prefix))
    body_file = work / "request.json"
    body_file.write_text(json.dumps(TYPICAL))
    script = work / "post.lua"
    script.write_text(LUA.format(body=body_file))
    return work, body_file, script


def start(cmd: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a server; its output goes to `log` when given (the file stays open in the child only)."""
    if log is None:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="service and bare runs, alternated")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--patients", type=int, default=0, help="rotate bodies of this many different patients")
    args = parser.parse_args()
    work, body_file, script = workload("hamstring-bench-")
    if args.patients:
        folder = work / "patients"
        folder.mkdir()
        for number in range(args.patients):
            (folder / f"{number}.json").write_bytes(for_patient(TYPICAL, number))
        script.write_text(LUA_ROTATING.format(count=args.patients, folder=folder))
    env = {**os.environ, "CDS_AUTH_REQUIRED": "false", "CDS_INSTANCE_PATH": str(work / "instance")}
    port, bare_port = free_port(), free_port()
    service = start([sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port),
                     "--workers", str(args.workers), "--threads", str(args.threads)], env)
    servers = [service]
    try:
        wait_ready(port)
        request = urllib.request.Request(f"http://127.0.0.1:{port}{SERVICE}", data=body_file.read_bytes(),
                                         headers={"Content-Type": "application/json"})
        response_bytes = urllib.request.urlopen(request, timeout=5).read()
        assert json.loads(response_bytes)["cards"], "the benchmark request should produce cards"
        response_file = work / "response.json"
        response_file.write_bytes(response_bytes)
        servers.append(start([sys.executable, str(ROOT / "bench" / "bare_app.py"), str(response_file),
                              str(bare_port), str(args.workers), str(args.threads)], env))
        wait_ready(bare_port)
        # This machine's speed drifts from minute to minute: alternate the two, compare medians.
        ours, baseline = [], []
        for _ in range(args.rounds):
            ours.append(run_wrk(port, script, args.seconds, args.connections, service.pid))
            baseline.append(run_wrk(bare_port, script, args.seconds, args.connections, servers[1].pid))
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    print(f"workers={args.workers} threads={args.threads} connections={args.connections} "
          f"seconds={args.seconds} rounds={args.rounds} "
          + (f"patients={args.patients} (a different patient on each call)" if args.patients else "one body"))
    for index, (mine, bare) in enumerate(zip(ours, baseline, strict=True), 1):
        print(f"round {index}: service {mine['rps']:7.1f} req/s (p50 {mine['p50']:6.2f} ms, p99 {mine['p99']:6.2f} ms,"
              f" non-2xx {mine['non2xx']}, {mine['cpu_ms']:.2f} ms CPU per request), bare {bare['rps']:7.1f} req/s"
              f" ({bare['cpu_ms']:.2f} ms CPU): {mine['rps'] / bare['rps']:.0%}")
    median_ours = statistics.median(r["rps"] for r in ours)
    median_bare = statistics.median(r["rps"] for r in baseline)
    print(f"median: service {median_ours:.1f} req/s, bare flask {median_bare:.1f} req/s, "
          f"service / bare = {median_ours / median_bare:.0%}")
    cpu_ours = statistics.median(r["cpu_ms"] for r in ours)
    cpu_bare = statistics.median(r["cpu_ms"] for r in baseline)
    print(f"server CPU per request (median): service {cpu_ours:.2f} ms, bare flask {cpu_bare:.2f} ms "
          f"(bare / service = {cpu_bare / cpu_ours:.0%})")


if __name__ == "__main__":
    main()
