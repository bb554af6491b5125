"""Issue 14 §2, request shapes EHRs send: order-select `selections` not in the spec's `ResourceType/id`
form, and searchsets whose `search.mode=outcome` entries carry only warnings or information."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_service.prefetch import is_usable
from tests.builders import bundle, condition, hook_request, pt_order, weekly
from tests.conftest import FHIR

SELECT = "/cds-services/hamstring-rehab-order-select"
SIGN = "/cds-services/hamstring-rehab-order-sign"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def naproxen(mid: str = "med-1") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": "draft", "intent": "order",
            "subject": {"reference": "Patient/pat-1"},
            "medicationCodeableConcept": {"coding": [{"system": RX, "code": "849574",
                                                      "display": "Naproxen sodium 220 MG Oral Tablet"}]},
            "dosageInstruction": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d",
                                                         "boundsDuration": {"value": 14, "unit": "days",
                                                                            "code": "d"}}}}]}


def select(selections: list[str], drafts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    drafts = drafts if drafts is not None else [pt_order("pt-1", **weekly(4, 2)), pt_order("pt-2", **weekly(13, 2))]
    return hook_request("order-select", drafts, selections=selections)


@pytest.mark.parametrize(("selections", "expected"), [
    (["ServiceRequest/pt-1"], ["HAM-01", "HAM-02"]),
    (["pt-1"], ["HAM-01", "HAM-02"]),                                     # a bare id
    ([" pt-1 "], ["HAM-01", "HAM-02"]),
    (["https://ehr.example.org/fhir/ServiceRequest/pt-1"], ["HAM-01", "HAM-02"]),  # an absolute reference
    (["pt-2"], []),                                                        # the compliant order: no advice
    (["pt-2", "ServiceRequest/pt-1"], ["HAM-01", "HAM-02"]),
])
def test_selection_forms_match_the_draft(client: FlaskClient, selections: list[str], expected: list[str]) -> None:
    assert codes(client.post(SELECT, json=select(selections))) == expected


def test_selection_by_entry_full_url(client: FlaskClient) -> None:
    body = select(["urn:uuid:7f0c1a5e-2b7d-4d2a-9a55-0d3f3c1b9e11"])
    body["context"]["draftOrders"]["entry"][0]["fullUrl"] = "urn:uuid:7f0c1a5e-2b7d-4d2a-9a55-0d3f3c1b9e11"
    assert codes(client.post(SELECT, json=body)) == ["HAM-01", "HAM-02"]


def test_bare_id_matches_a_medication_draft(client: FlaskClient) -> None:
    body = select(["med-1"], [naproxen("med-1"), pt_order("pt-2", **weekly(13, 2))])
    assert codes(client.post(SELECT, json=body)) == ["HAM-05"]


@pytest.mark.parametrize(("selections", "why"), [
    (["pt-9"], "names no draft order"),
    (["ServiceRequest/pt-9"], "names no draft order"),
    (["MedicationRequest/pt-1"], "names no draft order"),     # the id, but of another type
    (["pt-1", "nothing-here"], "names no draft order"),
    (["same-id"], "names several draft orders"),
])
def test_selection_naming_no_single_draft_is_400_in_the_spec_form(client: FlaskClient, selections: list[str],
                                                                   why: str) -> None:
    drafts = [pt_order("pt-1", **weekly(4, 2)), pt_order("same-id", **weekly(4, 2)), naproxen("same-id")]
    response = client.post(SELECT, json=select(selections, drafts))
    assert response.status_code == 400
    diagnostics = response.get_json()["issue"][0]["diagnostics"]
    assert "context.selections" in diagnostics and "'ResourceType/id'" in diagnostics and why in diagnostics


# search.mode=outcome entries next to data ------------------------------------------------------------------

def outcome_entry(*severities: str) -> dict[str, Any]:
    return {"resource": {"resourceType": "OperationOutcome",
                         "issue": [{"severity": s, "code": "informational",
                                    "diagnostics": "Results limited to patient's active conditions"}
                                   for s in severities]},
            "search": {"mode": "outcome"}}


def with_outcome(data: dict[str, Any], *entries: dict[str, Any], first: bool = True) -> dict[str, Any]:
    data = dict(data)
    data["entry"] = [*entries, *data["entry"]] if first else [*data["entry"], *entries]
    return data


@pytest.mark.parametrize(("entries", "first"), [
    ((outcome_entry("warning"),), True), ((outcome_entry("information"),), False),
    ((outcome_entry("information", "warning"),), True),
    ((outcome_entry("warning"), outcome_entry("information")), False),
])
def test_outcome_entries_with_warnings_keep_the_data_without_a_fhir_server(client: FlaskClient,
                                                                           entries: tuple[Any, ...],
                                                                           first: bool) -> None:
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))],
                        conditions=with_outcome(bundle(condition()), *entries, first=first))
    assert codes(client.post(SIGN, json=body)) == ["HAM-01", "HAM-02"]


def test_an_information_only_searchset_is_an_empty_result(client: FlaskClient) -> None:
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))],
                        conditions={"resourceType": "Bundle", "type": "searchset", "total": 0,
                                    "entry": [outcome_entry("information")]})
    assert codes(client.post(SIGN, json=body)) == []  # no hamstring condition: outside the population


@pytest.mark.parametrize("severity", ["error", "fatal"])
def test_an_error_outcome_entry_still_needs_the_data_fetched(client: FlaskClient, severity: str) -> None:
    conditions = with_outcome(bundle(condition()), outcome_entry("warning", severity))
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))], conditions=conditions)
    response = client.post(SIGN, json=body)
    assert response.status_code == 412 and "conditions" in response.get_json()["issue"][0]["diagnostics"]
    body["fhirServer"] = FHIR
    with responses.RequestsMock() as rsps:
        rsps.get(f"{FHIR}/Condition", json=bundle(condition()))
        assert codes(client.post(SIGN, json=body)) == ["HAM-01", "HAM-02"]


@pytest.mark.parametrize(("value", "usable"), [
    (with_outcome(bundle(condition()), outcome_entry("warning")), True),
    (with_outcome(bundle(condition()), {"resource": {"resourceType": "OperationOutcome",
                                                     "issue": {"severity": "information", "code": "x"}},
                                        "search": {"mode": "outcome"}}), True),   # one issue, not an array
    (with_outcome(bundle(condition()), {"resource": {"resourceType": "OperationOutcome", "issue": []},
                                        "search": {"mode": "outcome"}}), False),  # says nothing: not trusted
    (with_outcome(bundle(condition()), {"resource": {"resourceType": "OperationOutcome",
                                                     "issue": [{"code": "x"}]}, "search": {"mode": "outcome"}}),
     False),                                                                      # no severity
    (with_outcome(bundle(condition()), {"resource": {"resourceType": "OperationOutcome",
                                                     "issue": [{"severity": "error", "code": "x"}]}}), False),
])
def test_is_usable_reads_the_outcome_severities(value: dict[str, Any], usable: bool) -> None:
    assert is_usable(value) is usable
