"""HAM-05's one-click fix of an analgesic whose quantity to dispense is written in its sig ('#42', 'disp 30',
'x 30 tabs'): one update of the draft with a coded dispenseRequest.quantity of what the configured maximum
takes at the stated dose and frequency, and the written quantity rewritten to the same number (the rest of
the text as written), so order and text agree and the card clears. A quantity that cannot be rewritten
unambiguously gets no fix (fhir_mappings/sig_quantity_edits.py)."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from cards.config import load_guideline
from fhir_mappings.analgesic_course import course_days
from fhir_mappings.parse import parse
from fhir_mappings.sig_text import dose_in, quantity_in_words, written_quantities
from tests import builders as b
from tests.test_accepting_suggestions import accept

SIGN = "/cds-services/hamstring-rehab-order-sign"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
MAX_DAYS = int(load_guideline().thresholds["HAM-05"].model_dump()["max_analgesic_days"])
IBUPROFEN = {"coding": [{"system": RXNORM, "code": "310965", "display": "Ibuprofen 200 MG Oral Tablet"}],
             "text": "Ibuprofen 200 mg tablet"}
NAPROXEN = {"coding": [{"system": RXNORM, "code": "849574", "display": "Naproxen sodium 220 MG Oral Tablet"}]}


def order(sig: str, drug: dict[str, Any] | None = None, **members: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "rx-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "medicationCodeableConcept": drug or IBUPROFEN,
            "dosageInstruction": [{"text": sig}], **members}


def ham05(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any] | None:
    response = client.post(SIGN, json=body)
    assert response.status_code == 200, response.get_json()
    return next((c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "HAM-05"), None)


def accepted_fix(client: FlaskClient, draft: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one action of HAM-05's one suggestion on `draft` (checked: an update of the draft, with a uuid) and
    the request once it is accepted (checked: HAM-05 no longer fires)."""
    body = b.hook_request(drafts=[draft])
    card = ham05(client, body)
    assert card is not None
    [suggestion] = card["suggestions"]
    uuid.UUID(suggestion["uuid"])
    [action] = suggestion["actions"]
    assert action["type"] == "update" and action["resource"]["id"] == "rx-1"
    after = accept(body, suggestion)
    assert ham05(client, after) is None  # accepted, the hook no longer fires HAM-05
    return action, after


def fixed(client: FlaskClient, draft: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The resource HAM-05's one suggestion on `draft` writes, and the request once it is accepted."""
    action, after = accepted_fix(client, draft)
    return action["resource"], after


# (sig, tablets or capsules a day, the quantity as written, its form's v3 orderableDrugForm code)
SIGS = [
    ("ibuprofen 400 mg, 1 tab TDS, #42", 3, "#42", "TAB"),
    ("1 tab po tid prn x 30 tabs", 3, "x 30 tabs", "TAB"),  # as needed: the maximum it allows
    ("naproxen 500mg 1 tab BID disp: 28", 2, "disp: 28", "TAB"),
    ("1 tab TDS, qty: 28", 3, "qty: 28", "TAB"),
    ("Take 1 tab TDS with food. Dispense 40 tablets", 3, "Dispense 40 tablets", "TAB"),
    ("Dispense 40 tablets. Take 1 tab TDS with food", 3, "Dispense 40 tablets", "TAB"),  # quantity first
    ("1 cap BID disp 30", 2, "disp 30", "CAP"),
    ("2 tabs q6h prn pain #60", 8, "#60", "TAB"),
]


@pytest.mark.parametrize(("sig", "per_day", "written", "code"), SIGS, ids=[s[0] for s in SIGS])
def test_the_fix_codes_the_quantity_and_rewrites_the_written_one(
        client: FlaskClient, sig: str, per_day: int, written: str, code: str) -> None:
    resource, _ = fixed(client, order(sig))
    quantity = MAX_DAYS * per_day
    coded = resource["dispenseRequest"]["quantity"]
    assert coded["value"] == quantity and coded["code"] == code
    number = written_quantities(written)[0]
    new_written = written[:number.start] + str(quantity) + written[number.end:]
    assert resource["dosageInstruction"][0]["text"] == sig.replace(written, new_written)  # the rest as written
    parsed = parse(resource, "Patient/pat-1")
    assert course_days(parsed) == (MAX_DAYS, "quantity")


def test_a_sig_with_a_quantity_and_a_duration_gets_both_rewritten(client: FlaskClient) -> None:
    resource, _ = fixed(client, order("1 tab TDS x 14 days, #42"))
    assert resource["dosageInstruction"][0]["text"] == f"1 tab TDS x {MAX_DAYS} days, #{MAX_DAYS * 3}"


def test_an_earlier_course_stays_as_written(client: FlaskClient) -> None:
    resource, _ = fixed(client, order("Previous 2-week course finished. Now 1 tab BID #28"))
    assert resource["dosageInstruction"][0]["text"] == f"Previous 2-week course finished. Now 1 tab BID #{MAX_DAYS * 2}"


def test_the_same_quantity_in_several_texts_is_rewritten_in_each(client: FlaskClient) -> None:
    draft = order("1 tab TDS #42", note=[{"text": "Pharmacy: #42, no substitution"}],
                  dispenseRequest={"numberOfRepeatsAllowed": 1})
    resource, _ = fixed(client, draft)
    assert resource["note"][0]["text"] == f"Pharmacy: #{MAX_DAYS * 3}, no substitution"
    assert resource["dispenseRequest"]["numberOfRepeatsAllowed"] == 0  # refills would multiply the supply


def test_a_coded_dose_gives_the_quantity_its_own_unit(client: FlaskClient) -> None:
    draft = order("BID x 30 tabs")
    draft["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 1, "unit": "tablet"}}]
    resource, _ = fixed(client, draft)
    assert resource["dispenseRequest"]["quantity"] == {"value": MAX_DAYS * 2, "unit": "tablet"}
    assert resource["dosageInstruction"][0]["text"] == f"BID x {MAX_DAYS * 2} tabs"


def test_a_structured_quantity_fix_rewrites_the_quantity_the_text_also_writes(client: FlaskClient) -> None:
    draft = order("1 tab PO BID, #28", drug=NAPROXEN,
                  dispenseRequest={"quantity": {"value": 28, "unit": "tablet", "system": b.UCUM, "code": "{tbl}"}})
    resource, _ = fixed(client, draft)
    assert resource["dispenseRequest"]["quantity"]["value"] == MAX_DAYS * 2
    assert resource["dosageInstruction"][0]["text"] == f"1 tab PO BID, #{MAX_DAYS * 2}"


def test_a_course_set_by_its_timing_brings_the_written_quantity_in_line(client: FlaskClient) -> None:
    draft = order("1 tab TDS for 14 days, disp 42 tablets")
    draft["dosageInstruction"][0]["timing"] = {"repeat": {
        "frequency": 3, "period": 1, "periodUnit": "d",
        "boundsDuration": {"value": 14, "unit": "days", "system": b.UCUM, "code": "d"}}}
    resource, _ = fixed(client, draft)
    assert resource["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"]["value"] == MAX_DAYS
    assert resource["dosageInstruction"][0]["text"] == f"1 tab TDS for {MAX_DAYS} days, disp {MAX_DAYS * 3} tablets"


@pytest.mark.parametrize("sig", ["1 tab TDS #21", "1 tab BID disp: 14", "1 tab po tid prn x 20 tabs"])
def test_a_quantity_that_fits_gets_no_card(client: FlaskClient, sig: str) -> None:
    assert ham05(client, b.hook_request(drafts=[order(sig)])) is None


AMBIGUOUS = [
    "1 tab TDS #40 (forty)",  # the quantity also in words
    "1 tab TDS, disp 42 tabs [forty-two]",
    "1 tab TDS #42, dispense 30",  # two different quantities
    "1 tab TDS x 42 caps",  # a quantity of another form than the dose: not read as this course
]


@pytest.mark.parametrize("sig", AMBIGUOUS)
def test_a_written_quantity_that_cannot_be_rewritten_unambiguously_gets_no_fix(client: FlaskClient, sig: str) -> None:
    card = ham05(client, b.hook_request(drafts=[order(sig, dispenseRequest={"expectedSupplyDuration": {
        "value": 14, "unit": "days", "system": b.UCUM, "code": "d"}})]))
    assert card is not None and not card.get("suggestions")  # never a fix whose text and order disagree
    if "caps" not in sig:
        card = ham05(client, b.hook_request(drafts=[order(sig)]))
        assert card is not None and not card.get("suggestions")


def test_reading_the_written_quantity() -> None:
    assert [(q.value, q.form, q.spelled) for q in written_quantities("Disp: #40 (forty) tabs, x 3 tabs")] == [
        (40, None, True), (3, "tablet", False)]
    assert written_quantities("30 day supply; days supply: 30") == []  # a length, not tablets
    assert quantity_in_words("dispense forty tablets") and quantity_in_words("x thirty tabs")
    assert not quantity_in_words("1 (one) tab TDS #42") and not quantity_in_words("#42, one tab TDS")
    assert dose_in(["Dispense 40 tablets, 1 tab TDS"]) == (1.0, "tablet")  # the quantity is not the dose
    assert math.isclose(course_days(parse(order("1 tab TDS #42"), "Patient/pat-1"))[0] or 0, 14)


def test_a_quantity_for_a_dose_in_mg_is_not_read_as_tablets() -> None:
    draft = order("TDS #42")
    draft["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 400, "unit": "mg"}}]
    assert course_days(parse(draft, "Patient/pat-1")) == (None, None)
