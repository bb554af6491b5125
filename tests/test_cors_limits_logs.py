"""CORS for browser clients, request limits, and the JSON logs (request id, status, latency; no secrets)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_service import create_app
from tests.builders import AS_OF, condition, patient
from tests.conftest import FHIR
from tests.jwt_helpers import SIGN_PATH, SigningKey, bearer, mint
from tests.test_prefetch import TOKEN, request_body

SANDBOX = "https://sandbox.cds-hooks.org"
PREFLIGHT = {"Origin": SANDBOX, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


@pytest.fixture
def cors_client(auth_settings: dict[str, Any]) -> FlaskClient:
    return create_app({**auth_settings, "cors_allowed_origins": f"{SANDBOX}, https://ehr.example.org"},
                      today=lambda: AS_OF).test_client()


def test_preflight_is_answered_without_authentication(cors_client: FlaskClient) -> None:
    for path in (SIGN_PATH, SIGN_PATH + "/feedback", "/cds-services"):
        response = cors_client.options(path, headers=PREFLIGHT)
        assert response.status_code == 204, path
        assert response.headers["Access-Control-Allow-Origin"] == SANDBOX
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_headers_are_on_errors_too(cors_client: FlaskClient, es_key: SigningKey) -> None:
    refused = cors_client.post(SIGN_PATH, json={}, headers={"Origin": SANDBOX})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == SANDBOX
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]
    bad = cors_client.post(SIGN_PATH, json={}, headers={"Origin": SANDBOX, **bearer(mint(es_key))})
    assert bad.status_code == 400 and bad.headers["Access-Control-Allow-Origin"] == SANDBOX
    missing = cors_client.get("/nothing", headers={"Origin": SANDBOX})
    assert missing.status_code == 404 and missing.headers["Access-Control-Allow-Origin"] == SANDBOX


def test_other_origins_get_no_cors_headers(cors_client: FlaskClient, client: FlaskClient) -> None:
    for app_client, origin in ((cors_client, "https://evil.example.com"), (cors_client, SANDBOX + ".evil.com"),
                               (client, SANDBOX)):
        response = app_client.options(SIGN_PATH, headers={**PREFLIGHT, "Origin": origin})
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Origin" in response.headers["Vary"]


def test_any_origin_is_possible_for_tests_and_flagged(settings: dict[str, Any]) -> None:
    client = create_app({**settings, "cors_allowed_origins": "*"}).test_client()
    assert client.get("/cds-services", headers={"Origin": SANDBOX}).headers["Access-Control-Allow-Origin"] == "*"
    assert any("CORS" in w for w in client.get("/readyz").get_json()["securityWarnings"])


def test_bad_cors_origin_is_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="origin"):
        create_app({**settings, "cors_allowed_origins": "sandbox.cds-hooks.org"})


def test_body_limit_is_413_after_authentication(auth_settings: dict[str, Any], es_key: SigningKey) -> None:
    client = create_app({**auth_settings, "max_body_bytes": 2048}).test_client()
    big = b"{" + b" " * 4096 + b"}"
    assert client.post(SIGN_PATH, data=big, content_type="application/json").status_code == 401
    response = client.post(SIGN_PATH, data=big, content_type="application/json", headers=bearer(mint(es_key)))
    assert response.status_code == 413


def test_default_body_limit_is_5_mb(client: FlaskClient) -> None:
    response = client.post(SIGN_PATH, data=b" " * (5 * 1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413


def test_body_without_content_length_is_bounded_too(settings: dict[str, Any]) -> None:
    client = create_app({**settings, "max_body_bytes": 2048}).test_client()

    response = client.post(SIGN_PATH, input_stream=io.BytesIO(b" " * 10240), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets for chunked
    assert response.status_code == 413


def test_json_nesting_limit(settings: dict[str, Any]) -> None:
    client = create_app({**settings, "max_json_depth": 10}).test_client()
    deep: Any = "x"
    for _ in range(10):
        deep = [deep]
    response = client.post(SIGN_PATH, json={"hook": deep})
    assert response.status_code == 400
    assert "deeper than 10 levels" in response.get_json()["issue"][0]["diagnostics"]
    assert client.post(SIGN_PATH, json={"hook": deep[0]}).status_code == 400  # valid depth, invalid request
    assert "deeper" not in client.post(SIGN_PATH, json={"hook": deep[0]}).get_json()["issue"][0]["diagnostics"]


def log_lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_logs_are_json_lines_with_request_id_service_status_latency(auth_client: FlaskClient, es_key: SigningKey,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    response = auth_client.post(SIGN_PATH, json=request_body(), headers={**bearer(mint(es_key)),
                                                                         "X-Request-ID": "ehr-req-42"})
    assert response.headers["X-Request-ID"] == "ehr-req-42"
    [line] = [entry for entry in log_lines(capsys.readouterr().err) if entry["message"] == "request"]
    assert line["request_id"] == "ehr-req-42" and line["service"] == "hamstring-rehab-order-sign"
    assert line["status"] == 200 and line["latency_ms"] > 0 and line["method"] == "POST"
    assert line["iss"] == "https://ehr.example.org" and line["jti"]
    assert None not in line.values() and "tenant" not in line  # a token without a tenant: left out, not null


def test_unsafe_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "a b;c" + "x" * 100})
    assert len(response.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != response.headers["X-Request-ID"]


def test_no_token_jwt_or_patient_name_reaches_the_logs(auth_client: FlaskClient, es_key: SigningKey,
                                                       capsys: pytest.CaptureFixture[str],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    name = "Zebediah Quartermaine"
    jwt_token = mint(es_key)
    person = {**patient(), "name": [{"family": "Quartermaine", "given": ["Zebediah"], "text": name}]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{FHIR}/Patient/{person['id']}", json=person)
        rsps.get(f"{FHIR}/Condition", status=401, json={"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "login", "diagnostics": f"bad token {TOKEN}"}]})
        ok = auth_client.post(SIGN_PATH, json=request_body({"patient": person}), headers=bearer(jwt_token))
        fetched = auth_client.post(SIGN_PATH, json=request_body(drop=("patient", "conditions")),
                                   headers=bearer(mint(es_key)))
    replayed = auth_client.post(SIGN_PATH, json=request_body({"patient": person, "conditions": condition()}),
                                headers=bearer(jwt_token))
    garbage = auth_client.post(SIGN_PATH, json=request_body(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert (ok.status_code, fetched.status_code, replayed.status_code, garbage.status_code) == (200, 412, 401, 401)
    logged = capsys.readouterr().err + caplog.text
    assert "request" in logged and "authentication refused" in logged
    for secret in (jwt_token, jwt_token.split(".")[1], jwt_token.split(".")[2], TOKEN, name, "Quartermaine"):
        assert secret not in logged


def test_a_jwt_or_bearer_credential_in_a_message_is_masked(capsys: pytest.CaptureFixture[str],
                                                           es_key: SigningKey, settings: dict[str, Any]) -> None:
    import logging

    create_app(settings)
    token = mint(es_key)
    capsys.readouterr()
    logging.getLogger("somewhere").warning("oops %s / Authorization: Bearer %s", token, TOKEN)
    err = capsys.readouterr().err
    assert token not in err and TOKEN not in err
    assert "[redacted-jwt]" in err and "Bearer [redacted]" in err


@pytest.mark.parametrize(("text", "masked"), [
    ("Authorization: BEARER abc.def", "Authorization: BEARER [redacted]"),
    ("token=bEaReR\tx-1~/=+", "token=bEaReR [redacted]"),
    ("a eyJhbGciOi.eyJzdWIi.c2ln b", "a [redacted-jwt] b"),
    ("bearer eyJhbGciOi.eyJzdWIi.c2ln", "bearer [redacted-jwt]"),
    ("no credential here: bear, eyJ alone", "no credential here: bear, eyJ alone"),
])
def test_redaction(text: str, masked: str) -> None:
    from cds_service.logs import redact

    assert redact(text) == masked


def test_a_line_with_values_json_cannot_hold_natively_is_still_one_json_object(
        capsys: pytest.CaptureFixture[str], settings: dict[str, Any]) -> None:
    import logging
    from datetime import date

    create_app(settings)
    capsys.readouterr()
    logging.getLogger("somewhere").warning("odd values", extra={"big": 2**70, "day": date(2026, 11, 23),
                                                                "who": "Müller"})
    [line] = [entry for entry in log_lines(capsys.readouterr().err) if entry["message"] == "odd values"]
    assert (line["big"], line["day"], line["who"]) == (2**70, "2026-11-23", "Müller")


@pytest.mark.parametrize(("before", "after"), [
    (None, "Origin"), ("Accept-Encoding", "Accept-Encoding, Origin"),
    ("accept-encoding, origin", "accept-encoding, origin"), ("X-Origin-Hint", "X-Origin-Hint, Origin"),
])
def test_vary_names_origin_once(before: str | None, after: str) -> None:
    from flask import Response

    from cds_service.cors import _vary_on_origin

    response = Response()
    if before:
        response.headers["Vary"] = before
    _vary_on_origin(response)
    assert response.headers["Vary"] == after
