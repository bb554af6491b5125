"""OpenTelemetry traces (docs/observability.md), with the SDK's in-memory exporter: one server span per
call with a child span per stage and per FHIR GET, the trace id in the JSON log lines, the caller's
trace continued; off by default, and off means no spans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from cds_service import tracing
from tests import builders as b
from tests.conftest import FHIR
from tests.test_prefetch import TOKEN, request_body

SIGN = "/cds-services/hamstring-rehab-order-sign"
STAGES = {"parse", "prefetch", "facts", "criteria", "render", "audit"}


@pytest.fixture
def spans(app: Flask) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    yield exporter
    tracing.disable()


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_server_span_per_call_with_a_child_span_per_stage(app: Flask, spans: InMemorySpanExporter,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    client = app.test_client()
    body = b.hook_request(drafts=[b.pt_order(**b.weekly(4, 2))])
    assert client.post(SIGN, json=body).status_code == 200
    finished = spans.get_finished_spans()
    [root] = [s for s in finished if s.parent is None]
    assert root.name == "POST /cds-services/<service_id>" and root.kind == SpanKind.SERVER
    assert root.attributes["cds.service"] == "hamstring-rehab-order-sign"
    assert root.attributes["http.response.status_code"] == 200
    children = [s for s in finished if s is not root]
    assert {s.name for s in children} == STAGES
    assert all(s.parent.span_id == root.context.span_id for s in children)
    assert {s.context.trace_id for s in finished} == {root.context.trace_id}

    trace_id = format(root.context.trace_id, "032x")
    [request_line] = [line for line in log_lines(capsys.readouterr().err) if line["message"] == "request"]
    assert request_line["trace_id"] == trace_id


def test_fhir_gets_are_client_spans_under_prefetch_carrying_the_trace_context(
        app: Flask, spans: InMemorySpanExporter) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Patient/{b.PATIENT_ID}", json=b.patient())
        rsps.get(f"{FHIR}/Condition", json=b.bundle(b.condition()))
        assert app.test_client().post(SIGN, json=request_body(drop=("patient", "conditions"))).status_code == 200
        sent = [call.request.headers for call in rsps.calls]
    finished = spans.get_finished_spans()
    [prefetch] = [s for s in finished if s.name == "prefetch"]
    gets = [s for s in finished if s.kind == SpanKind.CLIENT]
    assert len(gets) == 2
    assert all(s.parent.span_id == prefetch.context.span_id for s in gets)
    assert {s.attributes["http.response.status_code"] for s in gets} == {200}
    assert {s.attributes["server.address"] for s in gets} == {"fhir.example.org"}
    trace_id = format(prefetch.context.trace_id, "032x")
    assert all(headers["traceparent"].split("-")[1] == trace_id for headers in sent)
    exported = json.dumps([json.loads(s.to_json()) for s in finished])
    assert b.PATIENT_ID not in exported and TOKEN not in exported and "Condition" not in exported


def test_a_failed_stage_and_fetch_are_marked_without_their_message(app: Flask, spans: InMemorySpanExporter) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Observation", status=503)
        assert app.test_client().post(SIGN, json=request_body(drop=("observations",))).status_code == 412
    by_name = {s.name: s for s in spans.get_finished_spans()}
    assert by_name["GET"].status.description == "FhirRefused"
    assert by_name["prefetch"].status.description == "DataUnavailable"
    assert not by_name["prefetch"].events  # exception messages name the request's data: never recorded


def test_the_callers_trace_is_continued(app: Flask, spans: InMemorySpanExporter) -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    body = b.hook_request(drafts=[b.pt_order(**b.weekly(4, 2))])
    assert app.test_client().post(SIGN, json=body, headers={"traceparent": parent}).status_code == 200
    [root] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert format(root.context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert format(root.parent.span_id, "016x") == "00f067aa0ba902b7"


def test_health_probes_are_not_traced(app: Flask, spans: InMemorySpanExporter) -> None:
    assert app.test_client().get("/healthz").status_code == 200
    assert spans.get_finished_spans() == ()


def test_tracing_is_off_by_default_and_off_makes_no_spans(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    assert tracing.enabled() is False  # the app factory read no OTEL_* variable
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    tracing.disable()
    assert app.test_client().post(SIGN, json=b.hook_request(drafts=[b.pt_order()])).status_code == 200
    assert exporter.get_finished_spans() == ()
    assert all("trace_id" not in line for line in log_lines(capsys.readouterr().err))


@pytest.mark.parametrize(("environ", "on"), [
    ({}, False),
    ({"OTEL_TRACES_EXPORTER": "none"}, False),
    ({"OTEL_TRACES_EXPORTER": "console"}, True),
    ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
])
def test_the_standard_variables_switch_tracing_on(environ: dict[str, str], on: bool) -> None:
    try:
        assert tracing.configure(environ) is on
        assert tracing.enabled() is on
    finally:
        tracing.disable()


def test_an_unknown_exporter_stops_the_start(settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    from cds_service import create_app

    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER='zipkin'"):
        create_app(settings)
