"""`hamstring-cds audit export --format guidance-response`: one FHIR R4 GuidanceResponse per call, following
the CDS Hooks GuidanceResponse profile, validated with fhir.resources R4B. Runs on SQLite and on PostgreSQL
(skipped without CDS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.guidanceresponse import GuidanceResponse
from flask import Flask

from cds_service.audit.guidance import ENDPOINT_EXTENSION, PROFILE, typed_value
from cds_service.audit.models import calls, cards
from cds_service.audit.records import now_utc
from tests.audit.support import SIGN, example, violating
from tests.audit.test_operations import cli
from tests.audit.test_trail import rows

SERVICE = "hamstring-rehab-order-sign"


def calls_of_every_kind(app: Flask) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A call with cards, a zero-card call, a 412 and a 400 without a hookInstance; the bodies sent and
    the cards answered."""
    client = app.test_client()
    with_cards, compliant, no_conditions = violating(), example("order-sign-compliant"), violating()
    del no_conditions["prefetch"]["conditions"]  # not in prefetch, no fhirServer: 412
    answered = client.post(SIGN, json=with_cards).get_json()["cards"]
    assert client.post(SIGN, json=compliant).status_code == 200
    assert client.post(SIGN, json=no_conditions).status_code == 412
    assert client.post(SIGN, json={"hook": "order-sign"}).status_code == 400
    assert app.extensions["cds"].store.flush()  # committed, as the CLI (another process) reads them
    return [with_cards, compliant, no_conditions], answered


def exported(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: dict[str, Any],
             *extra: str) -> tuple[dict[str, Any], list[GuidanceResponse]]:
    today = now_utc().date().isoformat()
    code, out, err = cli(monkeypatch, capsys, settings, "audit", "export", "--since", today, "--format",
                         "guidance-response", *extra)
    assert code == 0 and "exported 4 calls" in err, err
    document = json.loads(out)
    bundle = Bundle.model_validate(document)  # valid FHIR R4B, contained resources included
    responses = [GuidanceResponse.model_validate(e.resource.model_dump()) for e in bundle.entry]
    return document, responses


def empty_members(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [path or "."] * (not value) + [p for k, v in value.items() for p in empty_members(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [path] * (not value) + [p for i, v in enumerate(value) for p in empty_members(v, f"{path}[{i}]")]
    return [path] if value is None or value == "" else []


def parts(parameter: dict[str, Any]) -> dict[str, Any]:
    """A card parameter's parts by name (observed and thresholds: their parts' values by key), as exported."""
    return {part["name"]: {p["name"]: value(p) for p in part["part"]} if "part" in part else value(part)
            for part in parameter["part"]}


def value(part: dict[str, Any]) -> Any:
    (kind,) = [k for k in part if k.startswith("value")]
    return part[kind]


def contained(resource: dict[str, Any]) -> dict[str, Any]:
    return {c["id"]: c for c in resource["contained"]}


def test_each_call_is_a_guidance_response_saying_which_cards_fired_and_why(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app()
    sent, answered = calls_of_every_kind(app)
    document, responses = exported(monkeypatch, capsys, audit_settings, "--base-url", "https://cds.example.org/")
    recorded, recorded_cards = rows(app, calls), rows(app, cards)

    assert empty_members(document) == []  # no nulls, no empty members
    assert [r.status for r in responses] == ["success", "success", "data-required", "failure"]
    assert [r.requestIdentifier.value for r in responses] == [b["hookInstance"] for b in sent] + [
        recorded[3]["record_id"]]  # the 400 said no hookInstance: the call's own id
    assert responses[3].requestIdentifier.system == "urn:hamstring-rehab-cds:call"
    resources = [e["resource"] for e in document["entry"]]
    for response, raw, call in zip(responses, resources, recorded, strict=True):
        assert response.meta.profile == [PROFILE]
        assert response.moduleUri == f"https://cds.example.org/cds-services/{SERVICE}"
        assert [(e.url, e.valueUri) for e in response.extension] == [(ENDPOINT_EXTENSION, response.moduleUri)]
        assert response.identifier[0].value == call["record_id"]
        when = datetime.fromisoformat(raw["occurrenceDateTime"].replace("Z", "+00:00"))
        assert when.tzinfo is not None and when.replace(tzinfo=None) == call["received_at"]
    assert [r.subject.identifier.value for r in responses[:3]] == [c["patient_pseudonym"] for c in recorded[:3]]
    assert responses[3].subject is None
    assert "pat-hamstring-1" not in json.dumps(document)  # the pseudonym, never the patient's id

    output = contained(resources[0])["output"]
    card_parameters = [p for p in output["parameter"] if p["name"] == "card"]
    assert {p["name"]: value(p) for p in output["parameter"] if p["name"] != "card"} == {
        "guidelineVersion": recorded[0]["guideline_version"], "guidelineSha256": recorded[0]["guideline_sha256"],
        "partial": False}
    by_uuid = {c["uuid"]: c for c in recorded_cards}
    assert [parts(p)["uuid"] for p in card_parameters] == [c["uuid"] for c in answered]
    for parameter, card in zip(card_parameters, answered, strict=True):
        got, kept = parts(parameter), by_uuid[card["uuid"]]
        assert (got["criterion"], got["indicator"], got["summary"], got["silent"]) == (
            kept["criterion_id"], card["indicator"], card["summary"], False)
        assert got["thresholds"] == {k: v for k, v in kept["thresholds"].items() if v not in (None, "")}
        assert got["observed"] == {k: v if isinstance(v, str | int | float) else
                                   json.dumps(v, separators=(",", ":"), ensure_ascii=False)
                                   for k, v in kept["observed"].items() if v not in (None, "")}
        assert got["observed"]  # why it fired
    assert [p["name"] for p in contained(resources[1])["output"]["parameter"]] == [
        "guidelineVersion", "guidelineSha256", "partial"]  # a zero-card call: no card

    assert [m.reference for m in responses[2].evaluationMessage] == ["#outcome"]
    assert "conditions" in contained(resources[2])["outcome"]["issue"][0]["diagnostics"]
    assert responses[0].evaluationMessage is None


def test_the_patient_reference_when_the_site_stores_it_and_the_module_without_a_base_url(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    calls_of_every_kind(make_app(audit_store_patient_reference=True))
    monkeypatch.delenv("CDS_PUBLIC_BASE_URL", raising=False)
    _, responses = exported(monkeypatch, capsys, audit_settings)
    assert [r.subject.reference for r in responses[:3]] == ["Patient/pat-hamstring-1"] * 3
    assert {r.moduleUri for r in responses} == {f"urn:hamstring-rehab-cds:cds-services:{SERVICE}"}
    assert {e.valueUri for r in responses for e in r.extension} == {f"/cds-services/{SERVICE}"}

    monkeypatch.setenv("CDS_PUBLIC_BASE_URL", "https://rehab.example.org")  # the default base URL
    _, responses = exported(monkeypatch, capsys, audit_settings)
    assert {r.moduleUri for r in responses} == {f"https://rehab.example.org/cds-services/{SERVICE}"}


@pytest.mark.parametrize(("value", "expected"), [
    (True, {"valueBoolean": True}), (6, {"valueInteger": 6}), (2**31, {"valueDecimal": 2**31}),
    (1.5, {"valueDecimal": 1.5}), ("Gr III", {"valueString": "Gr III"}), ([1, "a"], {"valueString": '[1,"a"]'}),
    (None, {}), ("", {})])
def test_recorded_values_become_fhir_values(value: Any, expected: dict[str, Any]) -> None:
    assert typed_value(value) == expected


@pytest.mark.parametrize("fmt", ["guidance-response", "fhir"])
def test_a_range_without_calls_is_a_bundle_without_an_empty_entry(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    calls_of_every_kind(make_app())
    code, out, err = cli(monkeypatch, capsys, audit_settings, "audit", "export", "--since", "2000-01-01", "--until",
                         "2000-01-31", "--format", fmt)
    assert code == 0 and "exported 0 calls" in err, err
    document = json.loads(out)
    Bundle.model_validate(document)
    assert document == {"resourceType": "Bundle", "type": "collection"}  # FHIR JSON has no empty arrays


@pytest.mark.parametrize("given", ["rehab example", "rehab.example.org", "ftp://rehab.example.org"])
def test_a_base_url_that_would_make_an_invalid_module_uri_is_refused(
        make_app: Callable[..., Flask], audit_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], given: str) -> None:
    calls_of_every_kind(make_app())
    with pytest.raises(SystemExit) as stopped:
        cli(monkeypatch, capsys, audit_settings, "audit", "export", "--since", "2026-01-01", "--format",
            "guidance-response", "--base-url", given)
    assert stopped.value.code == 2 and "give https://host" in capsys.readouterr().err
