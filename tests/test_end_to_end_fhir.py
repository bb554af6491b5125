"""End to end against a real FHIR R4 server (SEKMET) and the service on a real socket.

The client harness acts like the CDS Hooks sandbox: discovery, prefetch rendered from the service's
templates (POST _search first), the hook call with fhirServer and a bearer token, cards, feedback.
Without prefetch the service must search the FHIR server itself and reach the same cards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_service import create_app
from cds_service.auth.devkeys import DevIssuer, create_dev_issuer, mint_dev_token
from cds_service.sandbox import CdsClient, FhirEndpoint, hook_context
from tests.fhir_server import FHIR_TOKEN, criteria, sekmet_command, sekmet_server, served

PATIENTS = Path(__file__).resolve().parents[1] / "examples" / "patients"
INDEX = json.loads((PATIENTS / "index.json").read_text())
AS_OF = date(2026, 11, 23)
ClientFactory = Callable[..., CdsClient]

pytestmark = pytest.mark.skipif(sekmet_command() is None, reason="sekmet-fhir not installed (test extra)")


@pytest.fixture(scope="module")
def fhir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sekmet_server(tmp_path_factory.mktemp("sekmet")) as base:
        endpoint = FhirEndpoint(base, FHIR_TOKEN)
        for key in INDEX:
            endpoint.load(json.loads((PATIENTS / f"{key}.json").read_text()))
        yield base


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return create_dev_issuer(tmp_path_factory.mktemp("issuer") / "dev-issuer")


@pytest.fixture(scope="module")
def service(fhir: str, issuer: DevIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service as deployed: authentication on, trusting one issuer, the FHIR server allow-listed."""
    origin = fhir.removesuffix("/fhir")
    app = create_app({"instance_path": tmp_path_factory.mktemp("instance"), "fhir_server_allowlist": [origin],
                      "fhir_allow_http_loopback": True, "auth_required": True,
                      "auth": {"issuers": [{"iss": issuer.iss, "jwks_file": str(issuer.folder / "jwks.json")}]}},
                     today=lambda: AS_OF)
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def sign(issuer: DevIssuer) -> Callable[[str], str]:
    return lambda aud: mint_dev_token(aud, issuer.folder)


@pytest.fixture
def make_client(service: str, fhir: str, sign: Callable[[str], str]) -> ClientFactory:
    """A signing EHR client; `token` is the FHIR bearer token it hands the service."""
    return lambda token=FHIR_TOKEN: CdsClient(service, FhirEndpoint(fhir, token), sign=sign)


def context_for(key: str) -> tuple[str, dict[str, Any]]:
    entry = INDEX[key]
    drafts = json.loads((PATIENTS / entry["draftOrders"]).read_text()) if "draftOrders" in entry else None
    return entry["hook"], hook_context(entry["hook"], entry["patientId"], "Practitioner/sandbox-clinician", drafts)


@pytest.mark.parametrize("key", sorted(INDEX))
def test_fallback_reaches_the_same_cards_as_full_prefetch(make_client: ClientFactory, key: str) -> None:
    hook, context = context_for(key)
    cds = make_client()
    full = cds.call(hook, context, mode="full")
    fetched = cds.call(hook, context, mode="none")
    assert full.status_code == 200 and fetched.status_code == 200, (full.text, fetched.text)
    assert criteria(fetched.json()) == criteria(full.json())
    expected = INDEX[key]["expectedCriteria"]
    if expected is not None:
        assert criteria(full.json()) == expected, INDEX[key]["description"]


def test_partial_prefetch_is_completed_from_the_server(make_client: ClientFactory) -> None:
    hook, context = context_for("short-pt-order")
    cds = make_client()
    partial = cds.call(hook, context, mode="partial:conditions,patient")
    assert partial.status_code == 200
    assert criteria(partial.json()) == criteria(cds.call(hook, context).json())
    assert "HAM-01" in criteria(partial.json())


def test_paged_search_is_followed(make_client: ClientFactory, fhir: str) -> None:
    """25 background problems first, the hamstring strain last: it arrives on SEKMET's second page (20)."""
    endpoint = FhirEndpoint(fhir, FHIR_TOKEN)
    pid = "ham-paging"
    subject = {"reference": f"Patient/{pid}"}
    active = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}
    resources: list[dict[str, Any]] = [{"resourceType": "Patient", "id": pid, "birthDate": "1990-01-01"}]
    resources += [{"resourceType": "Condition", "id": f"{pid}-bg-{i:02d}", "subject": subject, "clinicalStatus": active,
                   "code": {"text": f"Background problem {i}"}} for i in range(25)]
    resources.append({"resourceType": "Condition", "id": f"{pid}-zz-hamstring", "subject": subject,
                      "clinicalStatus": active, "code": {"coding": [{
                          "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S76.312A"}]}})
    endpoint.load({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources]})
    first_page = endpoint.query(f"Condition?patient={pid}&clinical-status=active,recurrence,relapse")
    assert first_page is not None and any(link["relation"] == "next" for link in first_page["link"])
    assert f"{pid}-zz-hamstring" not in {e["resource"]["id"] for e in first_page["entry"]}

    _, context = context_for("short-pt-order")
    context = {**context, "patientId": pid}
    response = make_client().call("order-sign", context, mode="none")
    assert response.status_code == 200
    assert "HAM-01" in criteria(response.json())


def test_wrong_fhir_token_is_412(make_client: ClientFactory) -> None:
    hook, context = context_for("short-pt-order")
    response = make_client(token="not-the-token").call(hook, context, mode="none")
    assert response.status_code == 412
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and "HTTP 401" in body["issue"][0]["diagnostics"]
    assert "not-the-token" not in response.text


def test_client_harness_flow_discovery_call_feedback(make_client: ClientFactory) -> None:
    cds = make_client()
    services = cds.discover()
    assert set(services) == {"order-sign", "order-select", "patient-view"}
    hook, context = context_for("short-pt-order")
    cards = cds.call(hook, context).json()["cards"]
    card = next(c for c in cards if c["source"]["topic"]["code"] == "HAM-01")
    accepted = cds.feedback(services[hook]["id"], [{
        "card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
        "outcomeTimestamp": "2026-11-23T10:00:00Z"}])
    assert accepted.status_code == 200 and accepted.json()["stored"] == 1


def test_order_select_via_the_harness_judges_the_selection(make_client: ClientFactory) -> None:
    _, context = context_for("short-pt-order")
    select_context = hook_context("order-select", context["patientId"], context["userId"], context["draftOrders"])
    response = make_client().call("order-select", select_context)
    assert response.status_code == 200 and "HAM-01" in criteria(response.json())


def test_unsigned_call_is_401(service: str, fhir: str) -> None:
    hook, context = context_for("short-pt-order")
    unsigned = CdsClient(service, FhirEndpoint(fhir, FHIR_TOKEN))
    assert unsigned.session.post(f"{service}/cds-services/hamstring-rehab-order-sign", timeout=5,
                                 json={"hook": hook, "hookInstance": "x", "context": context}).status_code == 401


def test_fhir_server_answers_only_with_the_token(fhir: str) -> None:
    assert requests.get(f"{fhir}/Patient/ham-short-pt-order", timeout=5).status_code == 401


def test_sandbox_commands_load_and_call_as_an_ehr(service: str, fhir: str, issuer: DevIssuer,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from cds_service.cli import main

    assert main(["sandbox", "load", "--fhir-server", fhir, "--token", FHIR_TOKEN, "--dir", str(PATIENTS)]) == 0
    assert "loaded short-pt-order.json" in capsys.readouterr().out
    code = main(["sandbox", "call", "--fhir-server", fhir, "--token", FHIR_TOKEN, "--patient", "ham-short-pt-order",
                 "--hook", "order-sign", "--draft-order", str(PATIENTS / "short-pt-order.draft.json"),
                 "--service-url", service, "--issuer-dir", str(issuer.folder), "--prefetch", "none"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "[WARNING ] HAM-01" in printed and "suggestion: Extend the program" in printed


def test_sandbox_call_reports_a_refused_call(service: str, fhir: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from cds_service.cli import main

    code = main(["sandbox", "call", "--fhir-server", fhir, "--patient", "ham-short-pt-order", "--hook", "patient-view",
                 "--service-url", service, "--issuer-dir", str(tmp_path / "no-issuer")])
    assert code == 1 and '"login"' in capsys.readouterr().out
