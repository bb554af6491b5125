"""Prometheus metrics (docs/observability.md): off by default and never on the service's port; when on,
hook latency per service and status with the 0.5 s and 5 s buckets, cards per criterion and indicator,
failed criteria, skipped resources, FHIR fetches, refusals by kind and the audit gauges, with no
token, claim or patient in the output."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from cards.rules import ALL_CRITERIA
from cds_service import create_app
from cds_service.metrics import refusal_kind
from tests import builders as b
from tests.conftest import FHIR
from tests.fhir_server import free_port
from tests.jwt_helpers import ISS, SIGN_PATH, SigningKey, bearer, claims, mint
from tests.test_prefetch import request_body

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "order-sign-violating.json").read_text())
SIGN = "/cds-services/hamstring-rehab-order-sign"


@pytest.fixture
def metered(settings: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Apps with metrics on (a listener on a free loopback port each), stopped afterwards."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app({**settings, "metrics_port": free_port(), **overrides}, today=lambda: b.AS_OF)
        apps.append(app)
        return app

    yield make
    for app in apps:
        listener = app.extensions["cds_metrics_listener"]
        listener.shutdown()
        listener.server_close()


def scrape(app: Flask) -> str:
    port = app.extensions["cds"].settings.metrics_port
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Sample values of `name`, keyed by their sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_are_off_unless_their_port_is_set_and_never_on_the_service_port(app: Flask) -> None:
    assert app.extensions["cds"].metrics.enabled is False
    assert "cds_metrics_listener" not in app.extensions
    assert app.test_client().get("/metrics").status_code == 404


def test_serve_refuses_a_metrics_port_that_is_the_service_port(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The listener took the port first and gunicorn failed after five seconds of retries, naming no setting."""
    from cds_service.cli import main

    port = free_port()
    monkeypatch.setenv("CDS_METRICS_PORT", str(port))
    monkeypatch.setenv("CDS_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(["serve", "--port", str(port)]) == 2  # before migrating or starting anything
    # JSON log lines a background thread of an earlier test's app may write meanwhile are not the message
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith('{"ts"')]
    assert lines[0].startswith(f"hamstring-cds: CDS_METRICS_PORT {port} is the service's port"), lines
    assert not (tmp_path / "instance").exists()


def test_hook_calls_are_timed_per_service_and_status_with_the_cds_hooks_and_crd_buckets(
        metered: Callable[..., Flask]) -> None:
    app = metered()
    client = app.test_client()
    for _ in range(2):
        assert client.post(SIGN, json=EXAMPLE).status_code == 200
    assert client.post(SIGN, data="{not json", content_type="application/json").status_code == 400
    assert client.post("/cds-services/some-other-service", json=EXAMPLE).status_code == 404
    assert app.test_client().get("/metrics").status_code == 404  # the service's own port: nothing
    text = scrape(app)
    counts = samples(text, "cds_hook_request_duration_seconds_count")
    assert counts == {(("service", "hamstring-rehab-order-sign"), ("status", "200")): 2,
                      (("service", "hamstring-rehab-order-sign"), ("status", "400")): 1,
                      (("service", "unknown"), ("status", "404")): 1}
    buckets = samples(text, "cds_hook_request_duration_seconds_bucket")
    bounds = {dict(labels)["le"] for labels in buckets}
    assert {"0.5", "5.0", "+Inf"} <= bounds
    ok = (("le", "+Inf"), ("service", "hamstring-rehab-order-sign"), ("status", "200"))
    assert buckets[ok] == 2
    assert "some-other-service" not in text


def test_cards_are_counted_per_criterion_and_indicator(metered: Callable[..., Flask]) -> None:
    app = metered()
    shown: Counter[tuple[str, str]] = Counter()
    for _ in range(3):
        cards = app.test_client().post(SIGN, json=EXAMPLE).get_json()["cards"]
        shown.update((c["source"]["topic"]["code"], c["indicator"]) for c in cards)
    assert len(shown) >= 2
    counted = {(dict(k)["criterion"], dict(k)["indicator"]): v
               for k, v in samples(scrape(app), "cds_cards_total").items()}
    assert counted == shown


def test_failed_criteria_and_skipped_resources_are_counted(metered: Callable[..., Flask],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: Any) -> None:
        raise RuntimeError("broken rule")

    monkeypatch.setitem(ALL_CRITERIA, "HAM-05", dataclasses.replace(ALL_CRITERIA["HAM-05"], evaluate=boom))
    app = metered()
    broken = b.condition(cid="cond-broken", onsetDateTime="spring 2026")
    body = b.hook_request(drafts=[b.pt_order(**b.weekly(4, 2))], conditions=b.bundle(b.condition(), broken))
    for _ in range(2):
        assert app.test_client().post(SIGN, json=body).status_code == 200
    text = scrape(app)
    assert samples(text, "cds_criterion_failures_total") == {(("criterion", "HAM-05"),): 2}
    assert samples(text, "cds_skipped_resources_total") == {(("service", "hamstring-rehab-order-sign"),): 2}


def test_fhir_fallback_fetches_are_timed_by_outcome(metered: Callable[..., Flask]) -> None:
    app = metered()
    client = app.test_client()
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Patient/{b.PATIENT_ID}", json=b.patient())
        rsps.get(f"{FHIR}/Condition", json=b.bundle(b.condition()))
        assert client.post(SIGN, json=request_body(drop=("patient", "conditions"))).status_code == 200
        rsps.get(f"{FHIR}/Observation", status=503)
        assert client.post(SIGN, json=request_body(drop=("observations",))).status_code == 412
    counts = samples(scrape(app), "cds_fhir_fetch_duration_seconds_count")
    assert counts == {(("outcome", "ok"),): 2, (("outcome", "refused"),): 1}


def test_authentication_refusals_are_counted_by_kind_and_no_secret_is_exposed(
        metered: Callable[..., Flask], auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    app = metered(**auth_settings)
    client = app.test_client()
    valid = mint(es_key)
    wrong_audience = mint(es_key, aud="https://cds.example.org/cds-services/elsewhere")
    sent = [({}, 401), (bearer("not.a-jwt"), 401), (bearer(wrong_audience), 401), (bearer(valid), 200),
            (bearer(valid), 401)]
    for headers, status in sent:
        assert client.post(SIGN_PATH, json=b.hook_request("order-sign", [b.pt_order(**b.weekly(4, 2))]),
                           headers=headers).status_code == status
    text = scrape(app)
    assert samples(text, "cds_auth_refusals_total") == {
        (("reason", "no_token"),): 1, (("reason", "malformed"),): 1, (("reason", "audience"),): 1,
        (("reason", "replay"),): 1}
    for secret in (valid, wrong_audience, "not.a-jwt", ISS, b.PATIENT_ID, claims()["jti"][:8], "Bearer", "eyJ"):
        assert secret not in text


def test_every_refusal_reason_in_the_verifier_has_a_kind() -> None:
    source = (ROOT / "cds_service" / "auth" / "verify.py").read_text()
    reasons = re.findall(r'AuthFailed\(\s*f?"([^"{]+)', source)
    assert len(reasons) >= 15
    assert {reason: refusal_kind(reason) for reason in reasons if refusal_kind(reason) == "other"} == {}


def test_audit_gauges_are_read_when_scraped(metered: Callable[..., Flask], tmp_path: Path) -> None:
    app = metered()
    assert app.test_client().post(SIGN, json=EXAMPLE).status_code == 200
    app.extensions["cds"].store.flush()
    text = scrape(app)
    assert samples(text, "cds_audit_database_up") == {(): 1}
    assert samples(text, "cds_audit_spool_records") == {(): 0}
    assert samples(text, "cds_audit_journal_records") == {(): 0}
    journal = app.extensions["cds"].settings.spool_file.with_name("audit-journal")
    (journal / "4242-deadbeef.000000001.jsonl").write_text('{"kind": "call"}\n{"kind": "call"}\n')
    assert samples(scrape(app), "cds_audit_journal_records") == {(): 2}

    down = metered(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", instance_path=tmp_path / "down")
    assert samples(scrape(down), "cds_audit_database_up") == {(): 0}


@pytest.mark.parametrize("path", ["/", "/metricsx", "/metrics/", "/favicon.ico", "/admin", "/cds-services"])
def test_the_listener_serves_metrics_at_metrics_only(metered: Callable[..., Flask], path: str) -> None:
    """A scanner or a mistyped scrape path gets a 404, not the metrics (a wrong path must show as wrong)."""
    app = metered()
    port = app.extensions["cds"].settings.metrics_port
    response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    assert response.status_code == 404
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "/metrics" in body["issue"][0]["diagnostics"]
    assert "cds_hook_requests" not in response.text


def test_the_listener_refuses_methods_other_than_get(metered: Callable[..., Flask]) -> None:
    app = metered()
    port = app.extensions["cds"].settings.metrics_port
    response = requests.post(f"http://127.0.0.1:{port}/metrics", data=b"x", timeout=5)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "# TYPE" in scrape(app)
