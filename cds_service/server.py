"""Production WSGI server for `hamstring-cds serve`: gunicorn with threaded workers (keep-alive).

Against slow clients: a connection that sends nothing is parked by gunicorn and closed after the
keep-alive time; one that stalls mid-request, or stops reading the answer, is dropped after
`client_timeout` seconds without progress (socket receive and send timeouts); request line and
headers are bounded. A TLS-terminating proxy in front still does the rest (docs/security.md).
"""

from __future__ import annotations

import gc
import os
import select
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from cds_service.settings import Settings

DEFAULT_CLIENT_TIMEOUT_SECONDS = 10.0


class GuardedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread worker whose client sockets time out, so a stalled client cannot hold a thread."""

    client_timeout_seconds = DEFAULT_CLIENT_TIMEOUT_SECONDS

    def enqueue_req(self, conn: Any) -> None:
        stall_timeout(conn.sock, self.client_timeout_seconds)
        super().enqueue_req(conn)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:  # SIGTERM: stop listening now, not when the worker exits
            self.close_listeners()

    def close_listeners(self) -> None:
        """Take what already waits in the listen queue, then close the listening sockets.

        gunicorn stops polling its listeners on SIGTERM but keeps them open while in-flight calls finish;
        the kernel meanwhile completes new connections into the queue, and the worker's exit resets them: a
        client saw a call fail that no worker ever read. Closed, the port refuses new connections (the
        arbiter closed its copy first), which a client or load balancer retries elsewhere safely."""
        for listener in self.sockets:
            for _ in range(self.worker_connections):
                if not select.select([listener], [], [], 0)[0]:
                    break
                self.accept(listener)  # another worker may have taken it: accept ignores EAGAIN
            listener.close()


def stall_timeout(sock: socket.socket, seconds: float) -> None:
    """Kernel-level timeouts: they hold whatever blocking mode gunicorn puts the socket in."""
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], app_factory: Callable[[], Any] | None = None):
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from cds_service import create_app

        app = self.app_factory() if self.app_factory is not None else create_app()
        # Everything built at start (FHIR models, schemas, config) lives as long as the worker: frozen,
        # a full garbage collection walks only what requests create (50-70 ms -> under 1 ms per pause).
        gc.freeze()
        return app


def metrics_folder(settings: Settings) -> Path | None:
    """Where the workers write their metrics (PROMETHEUS_MULTIPROC_DIR), when CDS_METRICS_PORT is set: the
    variable as given, else prometheus-<port> in the instance folder. Emptied first: an earlier run's
    counts are not this one's. Set before prometheus_client is imported (the app factory checks)."""
    if settings.metrics_port is None:
        return None
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    folder = Path(given) if given else settings.instance_path / f"prometheus-{settings.metrics_port}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())
    return folder


def worker_exited(_arbiter: Any, worker: Any) -> None:
    """gunicorn's child_exit: a dead worker's counts stay in the sum (its files are kept); only a live
    gauge's file would go, and the service writes none (cds_service/metrics.py reads its gauges when scraped)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def serve(host: str, port: int, workers: int, threads: int, app_factory: Callable[[], Any] | None = None,
          client_timeout: float = DEFAULT_CLIENT_TIMEOUT_SECONDS, metrics_folder: Path | None = None,
          on_exit: Callable[[], None] | None = None) -> None:
    """Run gunicorn in the foreground; `app_factory` lets benchmarks serve another app the same way.
    `metrics_folder`: the workers' metric files (see `metrics_folder`). `on_exit`: run in the master once
    every worker has exited (the last audit records a killed worker left)."""
    GuardedThreadWorker.client_timeout_seconds = client_timeout  # workers are forked after this
    hooks: dict[str, Any] = {"child_exit": worker_exited} if metrics_folder is not None else {}
    if on_exit is not None:
        hooks["on_exit"] = lambda _arbiter: on_exit()
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": GuardedThreadWorker,
        "threads": threads,
        "keepalive": 5,
        "timeout": 30,
        "graceful_timeout": 10,
        "limit_request_line": 8190,
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
        "accesslog": None,
        "preload_app": True,
        # gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl) is shared by every instance of a host,
        # one stopping removes another's, and nothing here uses it.
        "control_socket_disable": True,
        **hooks,
    }, app_factory).run()
