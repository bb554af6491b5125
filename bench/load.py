"""Load and fault run: `serve` (2 workers) with PostgreSQL audit and signed tokens, on loopback only.

Run: python bench/load.py [--seconds 60] [--connections 32] [--stop-postgres-at S] [--kill-worker-at S]
It creates a fresh PostgreSQL database for the run (default server postgresql://postgres@127.0.0.1:5432),
a development issuer, and starts the service; `connections` client threads then send the typical
order-sign call over keep-alive, each with a fresh ES384 token and hookInstance, for `seconds`.
Afterwards it waits for the audit spool to drain and checks the audit trail against what the service
acknowledged: every 200 has exactly one record (0 lost, 0 duplicated).
--stop-postgres-at stops the PostgreSQL cluster S seconds in and starts it again 10 s later
(pg_ctlcluster; this machine's own cluster: do not use on a shared server).
--kill-worker-at SIGKILLs one gunicorn worker S seconds in.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_http import free_port, wait_ready  # noqa: E402
from bench.workloads import TYPICAL  # noqa: E402
from cds_service.auth.devkeys import create_dev_issuer, mint_dev_token  # noqa: E402

SERVICE = "hamstring-rehab-order-sign"


def create_database(server: str) -> str:
    name = f"hamstring_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return name


def postgres(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class Client(threading.Thread):
    def __init__(self, url: str, issuer: Path, deadline: float):
        super().__init__(daemon=True)
        self.url, self.issuer, self.deadline = url, issuer, deadline
        self.ok: list[str] = []
        self.errors: list[str] = []
        self.latencies: list[float] = []

    def run(self) -> None:
        session = requests.Session()
        while time.monotonic() < self.deadline:
            hook_instance = str(uuid.uuid4())
            body = {**TYPICAL, "hookInstance": hook_instance}
            headers = {"Authorization": f"Bearer {mint_dev_token(self.url, self.issuer)}",
                       "Content-Type": "application/json"}
            started = time.perf_counter()
            try:
                response = session.post(self.url, data=json.dumps(body), headers=headers, timeout=10)
            except requests.RequestException as exc:
                self.errors.append(type(exc).__name__)
                session = requests.Session()
                continue
            self.latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code == 200:
                self.ok.append(hook_instance)
            else:
                self.errors.append(f"HTTP {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--stop-postgres-at", type=float)
    parser.add_argument("--kill-worker-at", type=float)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hamstring-load-"))
    database = create_database(args.postgres)
    issuer = create_dev_issuer(work / "dev-issuer")
    port = free_port()
    env = {**os.environ, "CDS_CONFIG": str(issuer.config), "CDS_INSTANCE_PATH": str(work / "instance"),
           "CDS_DATABASE_URL": f"{args.postgres.replace('postgresql://', 'postgresql+psycopg://')}/{database}",
           "CDS_DATABASE_MIGRATE_ON_START": "true", "CDS_AUDIT_RETRY_SECONDS": "1",
           "CDS_AUDIT_PSEUDONYM_SECRET": "load-test-pseudonym-key", "CDS_LOG_LEVEL": "WARNING"}
    server_log = (work / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL, stderr=server_log)
    url = f"http://127.0.0.1:{port}/cds-services/{SERVICE}"
    try:
        wait_ready(port)
        time.sleep(1.0)
        deadline = time.monotonic() + args.seconds
        clients = [Client(url, issuer.folder, deadline) for _ in range(args.connections)]
        for c in clients:
            c.start()
        events = faults(args, server.pid)
        for c in clients:
            c.join()
        for event in events:
            event.join()
        drained = wait_for_audit(port, timeout=60)
    finally:
        server.terminate()
        server.wait(15)
        server_log.close()
    report(clients, args, database, drained)


def faults(args: argparse.Namespace, master: int) -> list[threading.Thread]:
    events = []
    if args.stop_postgres_at is not None:
        def outage() -> None:
            time.sleep(args.stop_postgres_at)
            postgres("stop")
            print(f"t={args.stop_postgres_at:.0f}s PostgreSQL stopped", flush=True)
            time.sleep(10)
            postgres("start")
            print(f"t={args.stop_postgres_at + 10:.0f}s PostgreSQL started", flush=True)
        events.append(threading.Thread(target=outage))
    if args.kill_worker_at is not None:
        def kill() -> None:
            time.sleep(args.kill_worker_at)
            victim = worker_pids(master)[0]
            os.kill(victim, signal.SIGKILL)
            print(f"t={args.kill_worker_at:.0f}s worker {victim} SIGKILLed", flush=True)
        events.append(threading.Thread(target=kill))
    for event in events:
        event.start()
    return events


def wait_for_audit(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            audit = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).json()["audit"]
            if audit["state"] == "ok":
                return True
        except (requests.RequestException, KeyError, ValueError):
            pass
        time.sleep(0.5)
    return False


def report(clients: list[Client], args: argparse.Namespace, database: str, drained: bool) -> None:
    acknowledged = [h for c in clients for h in c.ok]
    errors = [e for c in clients for e in c.errors]
    latencies = sorted(x for c in clients for x in c.latencies)
    with psycopg.connect(f"{args.postgres}/{database}") as db:
        rows = dict(db.execute("SELECT hook_instance, count(*) FROM audit_call WHERE hook_instance IS NOT NULL "
                               "GROUP BY hook_instance").fetchall())
        refused = db.execute("SELECT count(*) FROM audit_call WHERE hook_instance IS NULL").fetchone()[0]
    missing = [h for h in acknowledged if h not in rows]
    duplicated = [h for h, n in rows.items() if n > 1]
    p = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]) if latencies else (lambda q: 0.0)
    print(f"seconds={args.seconds} connections={args.connections} workers={args.workers} "
          f"stop_postgres_at={args.stop_postgres_at} kill_worker_at={args.kill_worker_at}")
    print(f"acknowledged (200): {len(acknowledged)}  ({len(acknowledged) / args.seconds:.1f} req/s)")
    print(f"errors: {len(errors)} {dict((e, errors.count(e)) for e in set(errors))}")
    print(f"latency ms: p50 {statistics.median(latencies) if latencies else 0:.1f}  p99 {p(0.99):.1f}")
    print(f"audit rows: {sum(rows.values()) + refused} ({refused} refused before the body was read)  "
          f"acknowledged without a record: {len(missing)}  "
          f"duplicated: {len(duplicated)}  spool drained: {drained}")


if __name__ == "__main__":
    main()
