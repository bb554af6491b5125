"""Structured logs: one JSON object per line on stderr, and one `request` line per HTTP call.

Every line inside a request carries its `request_id` (the caller's `X-Request-ID` when it is a short
safe token, else a new one; echoed in the response header). The request line names method, path,
service, status, latency and the authenticated `iss`/`jti`/`tenant`. Bodies are never logged, so no
patient data and no `fhirAuthorization`; as a last guard, anything shaped like a JWT or a bearer
credential is masked in every line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, Response, g, has_request_context, request

from cards.ids import new_hex_id
from cds_service import tracing

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
log = logging.getLogger("cds_service.request")


def redact(text: str) -> str:
    if "eyJ" in text:  # every JWT_SHAPE match starts so; most lines have neither, and skip the regexes
        text = JWT_SHAPE.sub("[redacted-jwt]", text)
    if "bearer" in text.lower():
        text = BEARER.sub(r"\1 [redacted]", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items()  # a field with no value (no caller: no iss) is left out
                     if k not in STANDARD and not k.startswith("_") and v is not None})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        try:
            text = orjson.dumps(line, default=str).decode()
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
            text = json.dumps(line, default=str, ensure_ascii=False)
        return redact(text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        if tracing.enabled() and not hasattr(record, "trace_id"):
            trace_id = tracing.trace_id()
            if trace_id:
                record.trace_id = trace_id
        return True


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test capture, gunicorn redirection)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str) -> None:
    """JSON lines on the root logger; calling it again (another app) replaces, never duplicates."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())


def install_request_log(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else new_hex_id()
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or new_hex_id()
        response.headers["X-Request-ID"] = request_id
        caller = g.get("caller")
        service = (request.view_args or {}).get("service_id")
        log.info("request", extra={
            "request_id": request_id, "method": request.method, "path": request.path[:200],
            "service": service[:100] if isinstance(service, str) else None, "status": response.status_code,
            "latency_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            "iss": caller.iss if caller else None, "jti": caller.jti if caller else None,
            "tenant": caller.tenant if caller else None})
        return response
