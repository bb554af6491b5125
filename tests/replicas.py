"""Several `hamstring-cds serve` instances on one PostgreSQL database, as behind a load balancer: each its own
process group, port and instance folder, all with one public URL (the tokens' `aud`), one development
issuer, one reviewer login. And a client that tells a call never started (connection refused: safe to send
elsewhere) from a call that failed."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, func, select

from cds_service.audit.models import calls
from cds_service.auth.devkeys import mint_dev_token
from tests.audit.support import example

PUBLIC = "https://cds.example.org"  # the load balancer's address, the same for every instance
SIGN = "/cds-services/hamstring-rehab-order-sign"
REVIEWER = ("quality", "correct horse battery staple")


class NotStarted(Exception):
    """The instance refused the connection: nothing was sent, the call may go to another instance."""


@dataclass
class Instance:
    name: str
    port: int
    folder: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder.with_suffix(".log")

    def launch(self) -> None:
        command = [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(self.port), "--workers", "2",
                   "--threads", "2"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: {self.log.read_text()[-2000:]}")

    def terminate(self) -> int:
        """SIGTERM, as an orchestrator stops an instance; the exit status once it is gone."""
        self.sigterm()
        return self.wait_exit()

    def sigterm(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self) -> int:
        assert self.process is not None
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def journal_segments(self) -> list[Path]:
        """Records journaled by this instance and not yet committed (or spooled)."""
        return sorted((self.folder / "audit-journal").glob("*.jsonl"))


def instance_env(folder: Path, database_url: str, issuer_config: Path, password_hash: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    return {**base, "CDS_INSTANCE_PATH": str(folder), "CDS_DATABASE_URL": database_url,
            "CDS_CONFIG": str(issuer_config), "CDS_PUBLIC_BASE_URL": PUBLIC, "CDS_AUDIT_RETRY_SECONDS": "1",
            "CDS_AUDIT_PSEUDONYM_SECRET": "replica-test-pseudonym-key-0123456789",
            "CDS_REVIEW_USERS": json.dumps({REVIEWER[0]: password_hash}), "CDS_LOG_LEVEL": "WARNING"}


def hook_body() -> dict[str, Any]:
    """The violating order-sign example (two cards) under a hookInstance of its own."""
    return {**example("order-sign-violating"), "hookInstance": str(uuid.uuid4())}


def token(issuer: Path, path: str = SIGN) -> str:
    return mint_dev_token(PUBLIC + path, issuer)


def post(port: int, path: str, body: Any, bearer: str) -> tuple[int, Any]:
    """One call on a connection of its own. Raises NotStarted when the connection is refused; any other
    error is a call that failed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        try:
            connection.connect()
        except ConnectionRefusedError:
            raise NotStarted(port) from None
        connection.request("POST", path, json.dumps(body),
                           {"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


class SlowCall:
    """A hook call whose body is sent in two halves: in flight on the instance between them."""

    def __init__(self, port: int, bearer: str):
        self.body = hook_body()
        data = json.dumps(self.body).encode()
        head = (f"POST {SIGN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {bearer}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.sendall(head.encode() + data[:len(data) // 2])
        self.rest = data[len(data) // 2:]

    def finish(self) -> int:
        self.sock.sendall(self.rest)
        answer = b""
        while chunk := self.sock.recv(65536):
            answer += chunk
        self.sock.close()
        return int(answer.split(b" ", 2)[1])


def review_get(port: int, path: str) -> Any:
    login = base64.b64encode(":".join(REVIEWER).encode()).decode()
    response = requests.get(f"http://127.0.0.1:{port}/review/api{path}", timeout=10,
                            headers={"Authorization": f"Basic {login}"})
    assert response.status_code == 200, response.text
    return response.json()


def reviewed_calls(port: int, query: str = "") -> dict[str, int]:
    """hookInstance -> call id of every call /review/api/calls lists on this instance (all pages)."""
    seen: dict[str, int] = {}
    before = ""
    while True:
        page = review_get(port, f"/calls?{query}{before}")
        seen.update({row["hook_instance"]: row["id"] for row in page["calls"] if row.get("hook_instance")})
        if not page.get("nextBefore"):
            return seen
        before = f"&before={page['nextBefore']}"


def audit_counts(database_url: str, values: list[str], column: str = "hook_instance") -> dict[str, int]:
    """How many audit records each hookInstance (or record id, ...) has in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(select(calls.c[column], func.count()).where(
                calls.c[column].in_(values)).group_by(calls.c[column])).all()
    finally:
        engine.dispose()
    return {v: 0 for v in values} | {v: int(n) for v, n in rows}
