"""`hamstring-cds serve` drops clients that stall mid-request (gunicorn on 127.0.0.1, bounded in time)."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from tests.fhir_server import free_port, running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    work = tmp_path_factory.mktemp("serve")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CDS_")},
           "CDS_AUTH_REQUIRED": "false", "CDS_INSTANCE_PATH": str(work / "instance")}
    command = [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port), "--workers", "1",
               "--threads", "2", "--client-timeout", "1"]
    with running(command, f"http://127.0.0.1:{port}/healthz", work / "serve.log", env):
        yield port


def stalled(port: int, partial: bytes) -> tuple[bytes, float]:
    """Send `partial`, stall, and return what the server answered and when it let go."""
    with socket.create_connection(("127.0.0.1", port), timeout=8) as sock:
        sock.sendall(partial)
        started, answer = time.monotonic(), b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return answer, time.monotonic() - started


def test_client_stalling_in_the_headers_is_dropped(server: int) -> None:
    answer, waited = stalled(server, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert waited < 5 and b"200 OK" not in answer


def test_client_stalling_in_the_body_is_dropped(server: int) -> None:
    answer, waited = stalled(server, b"POST /cds-services/hamstring-rehab-order-sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"hook\":")
    assert waited < 5 and b"200 OK" not in answer


def test_server_still_answers_after_stalled_clients(server: int) -> None:
    response = requests.get(f"http://127.0.0.1:{server}/healthz", timeout=3)
    assert response.status_code == 200 and response.headers["X-Request-ID"]
