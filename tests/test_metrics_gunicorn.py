"""`hamstring-cds serve` with CDS_METRICS_PORT: the metrics of all gunicorn workers are added up, those
of workers that were replaced included, on a listener apart from the service's port (bounded loopback
traffic)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.fhir_server import free_port, running

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "order-sign-violating.json").read_text())
SIGN = "/cds-services/hamstring-rehab-order-sign"


def workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def calls_counted(metrics_url: str) -> tuple[float, float]:
    """Hook calls answered 200 and cards counted, as Prometheus would read them."""
    text = requests.get(metrics_url, timeout=5).text
    calls = cards = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "cds_hook_request_duration_seconds_count" and sample.labels["status"] == "200":
                calls += sample.value
            if sample.name == "cds_cards_total":
                cards += sample.value
    return calls, cards


def test_the_workers_counts_add_up_across_processes_and_restarts(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    instance = tmp_path / "instance"
    folder = instance / f"prometheus-{metrics_port}"
    folder.mkdir(parents=True)
    (folder / "counter_1.db").write_bytes(b"an earlier run's counts")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CDS_", "PROMETHEUS_", "OTEL_"))},
           "CDS_AUTH_REQUIRED": "false", "CDS_INSTANCE_PATH": str(instance), "CDS_METRICS_PORT": str(metrics_port)}
    command = [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port), "--workers", "2",
               "--threads", "2"]
    base, metrics_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
    with running(command, f"{base}/healthz", tmp_path / "serve.log", env) as server:
        assert not (folder / "counter_1.db").exists()
        assert requests.get(f"{base}/metrics", timeout=5).status_code == 404
        with requests.Session() as session:
            cards_per_call = len(session.post(base + SIGN, json=EXAMPLE, timeout=10).json()["cards"])
            for _ in range(5):
                assert session.post(base + SIGN, json=EXAMPLE, timeout=10).status_code == 200
        deadline = time.monotonic() + 30  # on a loaded machine the second worker may still be starting
        while len(first := workers(server.pid)) < 2:
            assert time.monotonic() < deadline, "gunicorn did not start its two workers"
            time.sleep(0.1)
        for pid in first:
            os.kill(pid, signal.SIGTERM)
        deadline, resent = time.monotonic() + 30, time.monotonic()
        while len(workers(server.pid) - first) < 2 or workers(server.pid) & first:
            assert time.monotonic() < deadline, "gunicorn did not replace its workers"
            if time.monotonic() - resent > 1:  # a worker signalled before it set its own handlers (a few ms after
                resent = time.monotonic()       # its fork) ran the master's inherited one, which drops it: again
                for pid in workers(server.pid) & first:
                    os.kill(pid, signal.SIGTERM)
            time.sleep(0.1)
        for _ in range(4):  # new connections: either new worker may answer
            assert requests.post(base + SIGN, json=EXAMPLE, timeout=10).status_code == 200

        assert calls_counted(metrics_url) == (10, 10 * cards_per_call)
        writers = {path.stem.rsplit("_", 1)[1] for path in folder.glob("histogram_*.db")}
        assert len(writers) >= 2  # a worker that was stopped and one that replaced it, summed
        text = requests.get(metrics_url, timeout=5).text
        assert "cds_audit_database_up 1.0" in text and "cds_audit_spool_records 0.0" in text


def test_traces_are_exported_from_the_forked_workers(tmp_path: Path) -> None:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CDS_", "PROMETHEUS_", "OTEL_"))},
           "CDS_AUTH_REQUIRED": "false", "CDS_INSTANCE_PATH": str(tmp_path / "instance"),
           "OTEL_TRACES_EXPORTER": "console", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    command = [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port), "--workers", "2",
               "--threads", "2"]
    log = tmp_path / "serve.log"
    with running(command, f"http://127.0.0.1:{port}/healthz", log, env):
        assert requests.post(f"http://127.0.0.1:{port}{SIGN}", json=EXAMPLE, timeout=10).status_code == 200
        deadline = time.monotonic() + 10
        while '"name": "criteria"' not in log.read_text():
            assert time.monotonic() < deadline, "no span exported: " + log.read_text()[-2000:]
            time.sleep(0.1)
    text = log.read_text()
    [request_line] = [line for line in map(json.loads, filter(lambda t: t.startswith('{"ts"'), text.splitlines()))
                      if line["message"] == "request" and line["path"] == SIGN]
    assert f'"trace_id": "0x{request_line["trace_id"]}"' in text  # the console exporter's form of the same id
