"""The metrics listener: `/metrics` in the Prometheus text format on its own port, nothing else.

prometheus_client's own listener answers every path with the metrics; a scanner or a mistyped probe
path then looks healthy and a wrong scrape path is never noticed. This one answers GET `/metrics` and
refuses every other path with 404 and every other method with 405, as the service's own errors (an
OperationOutcome in JSON). One thread per scrape, as prometheus_client's; no log line per request (scrapes
every few seconds would drown the service's own log).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.registry import Collector

from cds_service.errors import operation_outcome

METRICS_PATH = "/metrics"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        """No line per scrape."""


def only_metrics(registry: Collector) -> Callable[..., Iterable[bytes]]:
    """A WSGI app serving `registry` at /metrics and a JSON 404 or 405 for anything else."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            return _refuse(start_response, 404, f"Not found: metrics are served at {METRICS_PATH}")
        if environ.get("REQUEST_METHOD") != "GET":
            return _refuse(start_response, 405, "Method not allowed: use GET", [("Allow", "GET")])
        return metrics(environ, start_response)

    return app


def _refuse(start_response: Callable[..., Any], status: int, message: str,
            extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = json.dumps(operation_outcome(status, message)).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *(extra or [])]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [body]


def start_listener(port: int, host: str, registry: Collector) -> WSGIServer:
    """Serves the metrics on host:port in a daemon thread; returns the server (shutdown() stops it)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    server_class = type("_MetricsServer", (_Server,), {"address_family": family})
    server: WSGIServer = make_server(host, port, only_metrics(registry), server_class, _QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-listener", daemon=True).start()
    return server
