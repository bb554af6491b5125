"""Vendor deviations from R4 that are common and unambiguous are read as R4 (fhir_mappings/conform.py), so they
get the same cards as the conformant resource; what still cannot be read is never silent (HAM-00, the log).

Each shape here is one a real client sends: the public CDS Hooks sandbox's Rx View / Rx Sign send a
MedicationRequest whose `category` is one object; other EHRs send numbers as strings, bare reference
strings, a single `dosageInstruction` or `note` object, a concept as plain text.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.conform import conform
from fhir_mappings.parse import MODELS, conformed, parse
from fhir_mappings.reading_report import reading_report
from tests import builders as b

SIGN = "/cds-services/hamstring-rehab-order-sign"
SELECT = "/cds-services/hamstring-rehab-order-select"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def naproxen(days: int = 15) -> dict[str, Any]:
    """The sandbox's Rx Sign draft, as it sends it: `category` one object, not an array."""
    return {
        "resourceType": "MedicationRequest", "id": "request-123", "status": "draft", "intent": "order",
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                                 "code": "outpatient"}]},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "849574",
                                                  "display": "Naproxen sodium 220 MG Oral Tablet"}],
                                      "text": "Naproxen sodium 220 MG Oral Tablet"},
        "subject": b.SUBJECT, "authoredOn": "2026-11-23",
        "dosageInstruction": [{"text": "1 tablet by mouth twice daily", "timing": {"repeat": {
            "frequency": 2, "period": 1, "periodUnit": "d",
            "boundsPeriod": {"start": "2026-11-23", "end": "2026-12-07"}}}}],
    }


def criteria(client: FlaskClient, body: dict[str, Any], url: str = SIGN) -> list[str]:
    response = client.post(url, json=body)
    assert response.status_code == 200, response.get_json()
    return [card["source"]["topic"]["code"] for card in response.get_json()["cards"]]


def test_the_sandbox_rx_sign_draft_gets_the_analgesic_card_as_the_conformant_one_does(client: FlaskClient) -> None:
    sandbox = naproxen()
    conformant = copy.deepcopy(sandbox)
    conformant["category"] = [conformant["category"]]
    assert criteria(client, b.hook_request(drafts=[conformant])) == ["HAM-05"]
    assert criteria(client, b.hook_request(drafts=[sandbox])) == ["HAM-05"]
    assert criteria(client, b.hook_request("order-select", drafts=[sandbox]), SELECT) == ["HAM-05"]


def _set(resource: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(resource)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


VENDOR_DRAFTS = {
    "dosageInstruction one object": lambda r: _set(r, ("dosageInstruction",), r["dosageInstruction"][0]),
    "frequency and period as strings": lambda r: _set(_set(r, ("dosageInstruction", 0, "timing", "repeat",
                                                              "frequency"), "2"),
                                                      ("dosageInstruction", 0, "timing", "repeat", "period"), "1"),
    "subject a bare reference string": lambda r: _set(r, ("subject",), "Patient/pat-1"),
    "medication coding one object": lambda r: _set(r, ("medicationCodeableConcept", "coding"),
                                                   r["medicationCodeableConcept"]["coding"][0]),
    "doNotPerform as a string": lambda r: _set(r, ("doNotPerform",), "false"),
    "note a plain string": lambda r: _set(r, ("note",), "Take with food"),
    "timing one-item array": lambda r: _set(r, ("dosageInstruction", 0, "timing"),
                                            [r["dosageInstruction"][0]["timing"]]),
}


@pytest.mark.parametrize("shape", VENDOR_DRAFTS)
def test_vendor_shapes_of_a_draft_medication_get_the_same_card(client: FlaskClient, shape: str) -> None:
    conformant = naproxen()
    conformant["category"] = [conformant["category"]]
    deviant = VENDOR_DRAFTS[shape](conformant)
    assert criteria(client, b.hook_request(drafts=[deviant])) == ["HAM-05"]


def test_a_course_length_sent_as_a_string_is_read_as_the_number(client: FlaskClient) -> None:
    order = naproxen()
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"] = {"value": "14", "unit": "days",
                                                                           "system": b.UCUM, "code": "d"}
    assert criteria(client, b.hook_request(drafts=[order])) == ["HAM-05"]
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"]["value"] = "5"
    assert criteria(client, b.hook_request(drafts=[order])) == []


def test_vendor_shapes_of_a_pt_order_and_the_problem_list_are_read(client: FlaskClient) -> None:
    short = b.pt_order(**b.weekly(4))
    short["code"] = "Physical therapy evaluation and treatment"  # a concept sent as its text
    short["orderDetail"] = {"text": "Eccentric strengthening: Nordic hamstring exercise; hip and trunk "
                                    "strengthening; single-leg motor control"}  # one object, not an array
    short["occurrenceTiming"]["repeat"]["boundsDuration"]["value"] = "4"
    condition = b.condition()
    condition["code"]["coding"] = condition["code"]["coding"][0]  # one coding, not an array
    condition["code"].pop("text")
    body = b.hook_request(drafts=[short], conditions=b.bundle(condition))
    assert criteria(client, body) == ["HAM-01", "HAM-02"]


def test_conform_names_each_change_and_leaves_a_conformant_resource_as_it_is() -> None:
    model = MODELS["MedicationRequest"]
    good = naproxen()
    good["category"] = [good["category"]]
    same, changes = conform(good, model)
    assert same is good and changes == []
    fixed, changes = conform(naproxen(), model)
    assert fixed["category"] == [naproxen()["category"]] and changes == ["category: one value where R4 has an array"]


@pytest.mark.parametrize(("member", "value"), [
    ("authoredOn", "yesterday"),   # not a date
    ("status", 7),                 # a code that is a number
    ("dosageInstruction", [{"timing": {"repeat": {"frequency": "twice"}}}]),  # not a number, even as text
    ("intent", ["order", "plan"]),  # two codes where R4 has one: which one is meant is not known
])
def test_what_cannot_be_read_is_left_unread_with_its_reason(member: str, value: Any) -> None:
    bad = naproxen() | {member: value, "id": f"bad-{member}"}
    with reading_report() as report:
        assert parse(conformed(bad), "Patient/pat-1") is None
    [skipped] = report.skipped.values()
    assert skipped.ref == f"MedicationRequest/bad-{member}" and skipped.reason.startswith(member)


def unreadable_draft() -> dict[str, Any]:
    return naproxen() | {"id": "rx-unreadable", "authoredOn": "last Tuesday"}


def test_an_unreadable_draft_gets_an_info_card_saying_it_could_not_be_checked(client: FlaskClient) -> None:
    response = client.post(SIGN, json=b.hook_request(drafts=[unreadable_draft()]))
    [card] = response.get_json()["cards"]
    assert card["source"]["topic"]["code"] == "HAM-00" and card["indicator"] == "info"
    assert "could not be checked" in card["summary"] and "MedicationRequest" in card["summary"]
    assert "MedicationRequest/rx-unreadable" in card["detail"] and "authoredOn" in card["detail"]
    assert "suggestions" not in card


def test_readable_drafts_are_still_checked_beside_an_unreadable_one(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[unreadable_draft(), b.pt_order(**b.weekly(4))])
    assert criteria(client, body) == ["HAM-01", "HAM-02", "HAM-00"]


def test_an_unreadable_draft_not_under_review_gets_no_card(client: FlaskClient) -> None:
    body = b.hook_request("order-select", drafts=[unreadable_draft(), b.pt_order(**b.weekly(14))],
                          selections=["ServiceRequest/pt-1"])
    assert criteria(client, body, SELECT) == []


def test_the_card_can_be_switched_off_per_site_and_is_then_silent(tmp_path: Any, settings: dict[str, Any]) -> None:
    from cards.config import DEFAULT_GUIDELINE_FILE
    from cds_service import create_app

    text = DEFAULT_GUIDELINE_FILE.read_text(encoding="utf-8").replace(
        'title = "Order could not be checked"', 'title = "Order could not be checked"\nsilent = true')
    site = tmp_path / "site-guideline.toml"
    site.write_text(text, encoding="utf-8")
    client = create_app({**settings, "guideline_file": site}, today=lambda: b.AS_OF).test_client()
    assert criteria(client, b.hook_request(drafts=[unreadable_draft()])) == []


def test_every_call_logs_each_unreadable_resource_with_its_reason(client: FlaskClient,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="fhir_mappings.parse")
    for _ in range(2):  # the second call finds the validation remembered, and still says so
        client.post(SIGN, json=b.hook_request(drafts=[unreadable_draft()]))
    lines = [r.getMessage() for r in caplog.records if "skipped unreadable" in r.getMessage()]
    assert len(lines) >= 2
    assert all("MedicationRequest/rx-unreadable" in line and "authoredOn" in line for line in lines)
