"""The audit trail records every hook call (cards, zero-card, refused) with why each card fired, and
joins feedback to its card. Each test runs on SQLite and on PostgreSQL (skipped without
CDS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from flask import Flask
from sqlalchemy import Table, select

from cards.config import load_guideline
from cds_service.audit.models import calls, captures, cards, feedback
from tests.audit.support import SIGN, example, violating
from tests.conftest import FHIR

ROOT = Path(__file__).resolve().parents[2]
SECRET_TOKEN = "very-secret-access-token-0123456789"
NEVER_ISSUED = "0f5c6a0e-8f0d-4c38-9a53-1f1d2b0c0e99"  # a card uuid this service never answered


def rows(app: Flask, table: Table) -> list[dict[str, Any]]:
    with app.extensions["cds"].store.reader().engine.connect() as db:
        return [dict(r._mapping) for r in db.execute(select(table).order_by(table.c[list(table.c.keys())[0]]))]


def everything(app: Flask) -> bytes:
    return orjson.dumps([rows(app, t) for t in (calls, cards, feedback, captures)],
                        option=orjson.OPT_NON_STR_KEYS, default=str)


def test_a_call_with_cards_is_recorded_with_why_each_card_fired(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    body = violating(fhirServer=FHIR, fhirAuthorization={"access_token": SECRET_TOKEN, "token_type": "Bearer",
                                                         "expires_in": 300, "scope": "patient/*.read",
                                                         "subject": "cds"})
    response = app.test_client().post(SIGN, json=body)
    assert response.status_code == 200
    returned = response.get_json()["cards"]
    [call] = rows(app, calls)
    guideline = load_guideline()
    assert call["service_id"] == "hamstring-rehab-order-sign" and call["hook"] == "order-sign"
    assert call["hook_instance"] == body["hookInstance"] and call["status"] == 200 and call["latency_ms"] > 0
    assert call["guideline_version"] == guideline.meta.version and call["guideline_sha256"] == guideline.sha256
    patient = body["context"]["patientId"]
    expected = hmac.new(b"test-secret-0123456789abcdef", f"Patient/{patient}".encode(), hashlib.sha256).hexdigest()
    assert call["patient_pseudonym"] == expected and call["patient_ref"] is None
    assert call["user_ref"] == body["context"]["userId"]
    assert call["card_count"] == len(returned) == 2 and call["silent_count"] == 0
    recorded = {c["uuid"]: c for c in rows(app, cards)}
    for card in returned:
        kept = recorded[card["uuid"]]
        criterion = card["source"]["topic"]["code"]
        assert kept["criterion_id"] == criterion and kept["indicator"] == card["indicator"]
        assert kept["summary"] == card["summary"] and not kept["silent"]
        assert kept["thresholds"] == guideline.template_values(criterion)
        assert kept["observed"]  # the values that made it fire
        assert kept["suggestion_uuids"] == [s["uuid"] for s in card["suggestions"]]
    assert recorded[returned[0]["uuid"]]["call_id"] == call["id"]
    dump = everything(app)
    assert SECRET_TOKEN.encode() not in dump and patient.encode() not in dump


def test_zero_card_and_refused_calls_are_recorded(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    compliant = example("order-sign-compliant")
    no_conditions = violating()
    del no_conditions["prefetch"]["conditions"]  # not in prefetch, no fhirServer: 412
    assert client.post(SIGN, json=compliant).status_code == 200
    assert client.post(SIGN, json={"hook": "order-sign"}).status_code == 400
    assert client.post(SIGN, data=b"{not json", content_type="application/json").status_code == 400
    assert client.post("/cds-services/no-such-service", json=compliant).status_code == 404
    assert client.post(SIGN, json=no_conditions).status_code == 412
    recorded = rows(app, calls)
    assert [c["status"] for c in recorded] == [200, 400, 400, 404, 412]
    zero = recorded[0]
    assert zero["card_count"] == 0 and zero["hook_instance"] == compliant["hookInstance"] and zero["error"] is None
    assert "context" in recorded[1]["error"] and "JSON" in recorded[2]["error"]
    assert recorded[3]["service_id"] == "no-such-service"
    assert "conditions" in recorded[4]["error"] and recorded[4]["hook_instance"] == no_conditions["hookInstance"]
    assert rows(app, cards) == []


def test_a_refused_call_keeps_the_hook_instance_and_hook_its_body_gives(make_app: Callable[..., Flask]) -> None:
    """A quality team finds the EHR's refused call by its hookInstance: recorded from the raw body when it
    is a string (shortened to its column), never anything else of the body, such as the token."""
    app = make_app()
    client = app.test_client()
    token = {"access_token": SECRET_TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
             "subject": "cds"}
    no_context = {"hook": "order-sign", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                  "fhirServer": FHIR, "fhirAuthorization": token}
    long_instance = violating(hookInstance="x" * 400, context="not an object")
    wrong_types = {"hook": ["order-sign"], "hookInstance": 12345, "context": {}}
    wrong_hook = violating(hook="patient-view" + "!" * 100)
    assert client.post(SIGN, json=no_context).status_code == 400
    assert client.post(SIGN, json=long_instance).status_code == 400
    assert client.post(SIGN, json=wrong_types).status_code == 400
    assert client.post(SIGN, json=wrong_hook).status_code == 400
    assert client.post("/cds-services/no-such-service", json=no_context).status_code == 404
    recorded = rows(app, calls)
    assert [(c["status"], c["service_id"], c["hook"], c["hook_instance"]) for c in recorded] == [
        (400, "hamstring-rehab-order-sign", "order-sign", no_context["hookInstance"]),
        (400, "hamstring-rehab-order-sign", "order-sign", "x" * 255),
        (400, "hamstring-rehab-order-sign", None, None),
        (400, "hamstring-rehab-order-sign", wrong_hook["hook"][:40], wrong_hook["hookInstance"]),
        (404, "no-such-service", "order-sign", no_context["hookInstance"])]
    assert all(c["error"] and c["patient_pseudonym"] is None for c in recorded)
    assert SECRET_TOKEN.encode() not in everything(app)


def test_feedback_is_joined_to_its_card_and_feedback_for_unknown_cards_is_kept_and_flagged(
        make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    card = client.post(SIGN, json=violating()).get_json()["cards"][0]
    suggestion = card["suggestions"][0]["uuid"]
    items = [
        {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": suggestion}],
         "outcomeTimestamp": "2026-11-23T10:05:31+01:00"},
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:06:00Z",
         "overrideReason": {"reason": {"system": "urn:x", "code": "patient-declined", "display": "Declined"},
                            "userComment": "Travelling"}},
        {"card": NEVER_ISSUED, "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:07:00Z"},
    ]
    response = client.post(f"{SIGN}/feedback", json={"feedback": items})
    assert response.get_json() == {"received": 3, "stored": 3}
    assert client.post(f"{SIGN}/feedback", json={"feedback": items}).get_json()["stored"] == 0
    accepted, overridden, unknown = rows(app, feedback)
    assert accepted["card_uuid"] == card["uuid"] and accepted["card_known"]
    assert accepted["accepted_suggestions"] == [suggestion]
    assert accepted["outcome_timestamp"].isoformat() == "2026-11-23T09:05:31"  # kept in UTC
    assert (overridden["override_code"], overridden["override_display"], overridden["override_comment"]) == (
        "patient-declined", "Declined", "Travelling")
    assert unknown["card_uuid"] == NEVER_ISSUED and not unknown["card_known"]


def test_a_silent_criterion_is_recorded_as_would_have_fired_but_not_returned(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app(guideline_file=silent_guideline(tmp_path, "HAM-02"))
    returned = app.test_client().post(SIGN, json=violating()).get_json()["cards"]
    assert [c["source"]["topic"]["code"] for c in returned] == ["HAM-01"]
    [call] = rows(app, calls)
    assert call["card_count"] == 1 and call["silent_count"] == 1
    silent = [c for c in rows(app, cards) if c["silent"]]
    assert [c["criterion_id"] for c in silent] == ["HAM-02"]
    assert silent[0]["observed"] and silent[0]["thresholds"]["min_supervised_sessions"] == 12


def silent_guideline(tmp_path: Path, criterion: str) -> Path:
    text = (ROOT / "cards" / "guideline.toml").read_text()
    header = f"[criteria.{criterion}]\n"
    start = text.index(header) + len(header)
    section_end = text.index("\n[", start)
    section = text[start:section_end]
    if "silent = false" in section:
        section = section.replace("silent = false", "silent = true", 1)
    else:
        section = "silent = true\n" + section
    path = tmp_path / "guideline-silent.toml"
    path.write_text(text[:start] + section + text[section_end:])
    return path


def test_the_raw_patient_reference_is_kept_only_when_configured(make_app: Callable[..., Flask]) -> None:
    app = make_app(audit_store_patient_reference=True)
    body = violating()
    app.test_client().post(SIGN, json=body)
    assert rows(app, calls)[0]["patient_ref"] == f"Patient/{body['context']['patientId']}"


def test_request_capture_is_off_by_default_and_never_keeps_the_token(make_app: Callable[..., Flask]) -> None:
    body = violating(fhirServer=FHIR, fhirAuthorization={"access_token": SECRET_TOKEN})
    off = make_app()
    off.test_client().post(SIGN, json=body)
    assert rows(off, captures) == []
    on = make_app(audit_capture_requests=True)
    on.test_client().post(SIGN, json=violating(fhirServer=FHIR, fhirAuthorization={"access_token": SECRET_TOKEN}))
    [capture] = rows(on, captures)
    assert set(capture["request"]) == {"hook", "hookInstance", "context", "prefetch"}
    assert SECRET_TOKEN.encode() not in everything(on) and b"fhirAuthorization" not in everything(on)
