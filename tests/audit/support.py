"""Shared by the audit tests: example requests, a fresh PostgreSQL schema per test, and a loopback TCP
forwarder to stage a database outage (a dead port that comes alive). Fixtures are in conftest.py."""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cds_service.audit.database import normalize_url

ROOT = Path(__file__).resolve().parents[2]
# Read at import: the autouse fixture of conftest.py removes every CDS_* variable before each test.
POSTGRES_URL = os.environ.get("CDS_TEST_POSTGRES_URL")
NO_POSTGRES = ("CDS_TEST_POSTGRES_URL is not set: the PostgreSQL variant is skipped (.ci/run sets it; "
               "export it to run against a local server)")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES))]
SIGN = "/cds-services/hamstring-rehab-order-sign"


def example(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "examples" / f"{name}.json").read_text())


def violating(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(example("order-sign-violating"))
    body["hookInstance"] = str(uuid.uuid4())
    body.update(changes)
    return body


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema for one test (parallel runs never collide), dropped afterwards."""
    name = f"cds_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(base_url))
    with admin.begin() as db:
        db.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        url = make_url(normalize_url(base_url)).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Forwarder:
    """Listens on 127.0.0.1:`port` and relays each connection to `target`; until `start()` the port is dead."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.port, self.target = port, target
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        server.settimeout(0.2)
        self._server = server
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        deadline = time.monotonic() + 120  # bounded: a test never leaves it running
        while self._server is not None and time.monotonic() < deadline:
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for s in self._sockets:
            s.close()


def wait_until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def seed(app: Flask) -> list[dict[str, Any]]:
    """Two card calls, a zero-card call, a 400; one card accepted, one overridden with a reason and comment."""
    client = app.test_client()
    first = client.post(SIGN, json=violating()).get_json()["cards"]
    client.post(SIGN, json=violating())
    client.post(SIGN, json=example("order-sign-compliant"))
    client.post(SIGN, json={"hook": "order-sign"})
    client.post(f"{SIGN}/feedback", json={"feedback": [
        {"card": first[0]["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-23T10:00:00Z",
         "acceptedSuggestions": [{"id": first[0]["suggestions"][0]["uuid"]}]},
        {"card": first[1]["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:01:00Z",
         "overrideReason": {"reason": {"system": "urn:x", "code": "patient-declined", "display": "Patient declined"},
                            "userComment": "Travelling for 6 weeks"}}]})
    return first


def all_at_once(target: Callable[..., None], count: int, *args: Any) -> list[Any]:
    """Run `target(*args, barrier, results)` in `count` new processes that start their work together
    (as gunicorn workers booting at once); returns what each put on `results`. `target` must be a
    module-level function (the processes are spawned)."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(count), context.Queue()
    processes = [context.Process(target=target, args=(*args, barrier, results)) for _ in range(count)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
    return outcomes
