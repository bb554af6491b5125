"""Real servers for end-to-end tests, on 127.0.0.1 only: a SEKMET FHIR R4 server (PyPI `sekmet-fhir`,
pinned in the test extra) in its own process, and the CDS service itself behind werkzeug."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import make_server

FHIR_TOKEN = "sandbox-fhir-token-7f3a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sekmet_command() -> str | None:
    local = Path(sys.executable).with_name("sekmet")
    return str(local) if local.exists() else shutil.which("sekmet")


@contextmanager
def running(command: list[str], ready_url: str, log_path: Path, env: dict[str, str] | None = None,
            timeout: float = 30.0, cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, started and polled until `ready_url` answers 200; stopped afterwards."""
    log = log_path.open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(ready_url, timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def sekmet_server(workdir: Path) -> Iterator[str]:
    """A SEKMET FHIR server with bearer-token auth and its order simulator off; yields its base URL."""
    command = sekmet_command()
    if command is None:
        raise RuntimeError("sekmet-fhir is not installed: pip install -e '.[test]'")
    port = free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    settings = workdir / "sekmet.yaml"
    settings.write_text(
        f"base_url: {base}\nhost: 127.0.0.1\nport: {port}\ndata_dir: {workdir / 'data'}\n"
        f"server_auth:\n  types: [bearer]\n  tokens: [{FHIR_TOKEN}]\n"
        "simulator:\n  enabled: false\nlog_inbound: false\n")
    serve = [command, "serve", "-c", str(settings), "--host", "127.0.0.1", "--port", str(port)]
    with running(serve, f"{base}/metadata", workdir / "sekmet.log"):
        yield base


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The Flask app on a real socket in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def criteria(body: dict[str, Any]) -> list[str]:
    return [card["source"]["topic"]["code"] for card in body["cards"]]
