"""An edit keeps the whole order consistent: a course shortened to 7 days also gets its dispensed quantity,
supply, refills and the durations its text states; a shortened rest order's note likewise; a field that
cannot be changed safely is named in the suggestion for the clinician to change by hand."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.stated_durations import shortened
from tests import builders as b

SIGN = "/cds-services/hamstring-rehab-order-sign"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def naproxen(text: str = "1 tab PO BID x 14 days", quantity: float | None = 28, dose: bool = True) -> dict[str, Any]:
    dosage: dict[str, Any] = {"text": text, "timing": {"repeat": {
        "frequency": 2, "period": 1, "periodUnit": "d",
        "boundsDuration": {"value": 14, "unit": "days", "system": b.UCUM, "code": "d"}}}}
    if dose:
        dosage["doseAndRate"] = [{"doseQuantity": {"value": 1, "unit": "tablet"}}]
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest", "id": "rx-1", "status": "draft", "intent": "order",
        "subject": b.SUBJECT, "authoredOn": "2026-11-23",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "849574",
                                                  "display": "Naproxen sodium 220 MG Oral Tablet"}]},
        "dosageInstruction": [dosage],
        "dispenseRequest": {"numberOfRepeatsAllowed": 1,
                            "expectedSupplyDuration": {"value": 14, "unit": "days", "system": b.UCUM, "code": "d"}},
        "note": [{"text": "Naproxen for two weeks, then review"}],
    }
    if quantity is not None:
        order["dispenseRequest"]["quantity"] = {"value": quantity, "unit": "tablet"}
    return order


def suggestion(client: FlaskClient, draft: dict[str, Any], criterion: str, index: int = 0) -> dict[str, Any]:
    cards = client.post(SIGN, json=b.hook_request(drafts=[draft])).get_json()["cards"]
    card = next(c for c in cards if c["source"]["topic"]["code"] == criterion)
    return card["suggestions"][index]["actions"][0]  # type: ignore[no-any-return]


def test_a_shortened_course_brings_quantity_supply_refills_and_text_in_line(client: FlaskClient) -> None:
    action = suggestion(client, naproxen(), "HAM-05")
    order = action["resource"]
    assert order["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"]["value"] == 7
    assert order["dosageInstruction"][0]["text"] == "1 tab PO BID x 7 days"
    assert order["note"][0]["text"] == "Naproxen for 7 days, then review"
    dispense = order["dispenseRequest"]
    assert dispense["quantity"]["value"] == 14 and dispense["numberOfRepeatsAllowed"] == 0
    assert dispense["expectedSupplyDuration"]["value"] == 7
    assert "by hand" not in action["description"]


def test_a_smaller_quantity_is_never_raised(client: FlaskClient) -> None:
    order = suggestion(client, naproxen(quantity=10), "HAM-05")["resource"]
    assert order["dispenseRequest"]["quantity"]["value"] == 10


def test_what_cannot_be_changed_safely_is_named_for_a_change_by_hand(client: FlaskClient) -> None:
    action = suggestion(client, naproxen(text="PO BID for 10-14 days", dose=False), "HAM-05")
    # The course is a maximum, read at the range's upper bound: the range is rewritten whole to the new length
    # (once left to change by hand). The quantity cannot be worked out without a dose: that one is by hand.
    assert action["resource"]["dosageInstruction"][0]["text"] == "PO BID for 7 days"
    assert "by hand" in action["description"]
    assert "dispenseRequest.quantity" in action["description"]
    assert "dosageInstruction[0].text" not in action["description"]


def test_a_limited_rest_order_no_longer_says_two_weeks(client: FlaskClient) -> None:
    rest = {"resourceType": "ServiceRequest", "id": "nwb-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"text": "Non-weight-bearing, crutches"},
            "occurrencePeriod": {"start": "2026-11-23", "end": "2026-12-06"},
            "note": [{"text": "Strict NWB for 2 weeks"}], "patientInstruction": "No weight on the leg for 14 days"}
    limit = suggestion(client, rest, "HAM-06", index=1)["resource"]
    assert limit["note"][0]["text"] == "Strict NWB for 72 hours"
    assert limit["patientInstruction"] == "No weight on the leg for 72 hours"


@pytest.mark.parametrize(("text", "expected"), [
    ("1 tab PO BID x 14 days", "1 tab PO BID x 7 days"),
    ("BID x14d", "BID x7 days"),
    ("take for three weeks", "take for 7 days"),
    ("for 5 days then stop", "for 5 days then stop"),      # already within the course
    ("400 mg q8h prn", "400 mg q8h prn"),                  # a dosing interval, not a duration
    ("max 3 g/day", "max 3 g/day"),
])
def test_stated_durations_longer_than_the_course_are_rewritten(text: str, expected: str) -> None:
    assert shortened(text, 7, "7 days") == (expected, False)
