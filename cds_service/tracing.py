"""OpenTelemetry traces (docs/observability.md): one server span per HTTP call (health probes aside),
a child span per pipeline stage (parse, prefetch, facts, criteria, render, audit) and one per FHIR GET.

Off unless the standard variables ask for it: OTEL_TRACES_EXPORTER (`otlp` or `console`), or an OTLP
endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) which means `otlp`;
OTEL_SDK_DISABLED=true wins. The SDK reads the rest (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTLP
headers). Off, a stage is a plain call: no span object, no context work.

Spans name stages, services and outcomes, never a patient, a token or a URL's path or query;
exceptions are not recorded (their messages can quote the request), only their type as the status.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

P = ParamSpec("P")
R = TypeVar("R")
_tracer: Tracer | None = None
_provider: Any = None
NOT_TRACED_BLUEPRINTS = frozenset({"health"})  # probes every few seconds would bury the calls


def enabled() -> bool:
    return _tracer is not None


def configure(environ: Mapping[str, str] = os.environ) -> bool:
    """Tracing as the OTEL_* variables ask (off when they do not); True when on."""
    exporter_name = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not exporter_name and (environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or
                              environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        exporter_name = "otlp"
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" or exporter_name in ("", "none"):
        disable()
        return False
    use_exporter(_exporter(exporter_name), batch=True, environ=environ)
    return True


def _exporter(name: str) -> Any:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise ValueError("OTEL_TRACES_EXPORTER=otlp needs the OTLP exporter: pip install "
                             "'hamstring-rehab-cds[otlp]'") from None
        return OTLPSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported here (otlp, console or none)")


def use_exporter(exporter: Any, batch: bool = False, environ: Mapping[str, str] = os.environ) -> Any:
    """Trace into `exporter` (tests: the SDK's InMemorySpanExporter, exported as each span ends)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    global _tracer, _provider
    disable()
    named = {} if environ.get("OTEL_SERVICE_NAME") else {"service.name": "hamstring-rehab-cds"}
    # Not the global provider: each app (and test) configures its own; the batch processor re-creates
    # its export thread in each forked gunicorn worker (the SDK's at-fork hook).
    _provider = TracerProvider(resource=Resource.create(named))
    _provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    _tracer = _provider.get_tracer("cds_service")
    return _provider


def disable() -> None:
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


def traced(stage: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A pipeline stage: a child span of the current one when tracing is on, a plain call when off."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if _tracer is None:
                return fn(*args, **kwargs)
            with _tracer.start_as_current_span(stage, record_exception=False,
                                               set_status_on_exception=False) as span:
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    raise

        return run

    return wrap


def trace_id() -> str | None:
    """The current trace id (32 hex digits) for log lines; None when tracing is off or outside a span."""
    if _tracer is None:
        return None
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


class Outbound:
    """The span of one outgoing HTTP GET: `headers()` carry its trace context, `answered` its status."""

    def __init__(self, url: str):
        self.url = url
        self._scope: Any = None
        self.span: Any = None

    def __enter__(self) -> Outbound:
        if _tracer is not None:
            parts = urlsplit(self.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            self._scope = _tracer.start_as_current_span(
                "GET", kind=SpanKind.CLIENT, record_exception=False, set_status_on_exception=False,
                attributes={"http.request.method": "GET", "url.scheme": parts.scheme,
                            "server.address": parts.hostname or "", "server.port": port})
            self.span = self._scope.__enter__()
        return self

    def headers(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        if self._scope is not None:
            from opentelemetry import propagate

            propagate.inject(carrier)
        return carrier

    def answered(self, status: int) -> None:
        if self._scope is not None:
            self.span.set_attribute("http.response.status_code", status)

    def __exit__(self, kind: Any, exc: Any, traceback: Any) -> None:
        if self._scope is not None:
            if exc is not None:
                self.span.set_status(Status(StatusCode.ERROR, kind.__name__))
            self._scope.__exit__(None, None, None)


class PropagatingExecutor(ThreadPoolExecutor):
    """Runs each task in the trace context it was submitted from, so FHIR GETs are children of `prefetch`."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:  # type: ignore[override]
        if _tracer is None:
            return super().submit(fn, *args, **kwargs)
        return super().submit(_in_context, otel_context.get_current(), fn, *args, **kwargs)


def _in_context(ctx: Any, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    token = otel_context.attach(ctx)
    try:
        return fn(*args, **kwargs)
    finally:
        otel_context.detach(token)


def install(app: Flask) -> None:
    """The server span of each call (continuing the caller's W3C trace context), current until teardown,
    so the audit stage and the request log line are inside it."""

    @app.before_request
    def open_span() -> None:
        if _tracer is None or request.blueprint in NOT_TRACED_BLUEPRINTS:
            return
        from opentelemetry import propagate

        route = request.url_rule.rule if request.url_rule else "unmatched"
        span = _tracer.start_span(f"{request.method} {route}", context=propagate.extract(request.headers),
                                  kind=SpanKind.SERVER, record_exception=False, set_status_on_exception=False,
                                  attributes={"http.request.method": request.method, "http.route": route})
        service = (request.view_args or {}).get("service_id")
        if isinstance(service, str):
            from cds_service.services import SERVICES

            span.set_attribute("cds.service", service if service in SERVICES else "unknown")
        g.otel_span = (span, otel_context.attach(trace.set_span_in_context(span)))

    @app.after_request
    def status(response: Response) -> Response:
        opened = g.get("otel_span")
        if opened is not None:
            opened[0].set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                opened[0].set_status(Status(StatusCode.ERROR))
        return response

    @app.teardown_request
    def close_span(_exc: BaseException | None) -> None:
        opened = g.pop("otel_span", None)
        if opened is not None:
            otel_context.detach(opened[1])
            opened[0].end()
