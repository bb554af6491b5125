"""What records state only in words or in charting shorthand is read: a rest order's or a sig's duration
written in its text ("NWB R LE x 10d", "Tylenol 500mg po q6h prn x10d"), the grade written "Gr III", and a
strength symmetry measured for another muscle (not hamstring strength)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.stated_durations import longest_stated_days
from tests import builders as b

SIGN = "/cds-services/hamstring-rehab-order-sign"
VIEW = "/cds-services/hamstring-rehab-patient-view"
FIXTURES = Path(__file__).parent / "fixtures" / "hooks"


def cards(client: FlaskClient, url: str, body: dict[str, Any]) -> list[str]:
    response = client.post(url, json=body)
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def rest(text: str) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "wb-1", "status": "draft", "intent": "order",
            "subject": b.SUBJECT, "code": {"text": text}}


def sig(text: str, where: str = "name") -> dict[str, Any]:
    order: dict[str, Any] = {"resourceType": "MedicationRequest", "id": "rx-1", "status": "draft",
                             "intent": "order", "subject": b.SUBJECT, "medicationCodeableConcept": {"text": text}}
    if where == "dosage":
        order["medicationCodeableConcept"] = {"text": "Acetaminophen 500 MG Oral Tablet"}
        order["dosageInstruction"] = [{"text": text}]
    return order


@pytest.mark.parametrize(("text", "fires"), [
    ("NWB R LE x 10d, crutches", True),
    ("Non-weight bearing right leg for 2 weeks", True),
    ("Strict bed rest x 5 days", True),
    ("Bed rest x 2 days then WBAT", False),       # 48 hours: within the limit
    ("Bed rest 72 hours", False),                 # at the limit
    ("NWB until review, crutches", False),        # no duration stated: nothing to judge
    ("Bed rest; ice 20 min every 2 hours", False),  # an interval, not a duration
])
def test_a_rest_order_that_states_its_length_only_in_words(client: FlaskClient, text: str, fires: bool) -> None:
    assert ("HAM-06" in cards(client, SIGN, b.hook_request(drafts=[rest(text)]))) is fires


@pytest.mark.parametrize(("text", "where", "fires"), [
    ("Tylenol 500mg po q6h prn hamstring pain x10d", "name", True),
    ("naproxen 500 mg PO BID x 2 weeks", "name", True),
    ("1 tab PO q6h PRN pain for 10 days", "dosage", True),
    ("ibuprofen 400 mg PO TID for 5 days", "name", False),
    ("acetaminophen 1 g PO q8h prn", "name", False),   # no course stated
    ("Take 1 tablet every 6 hours as needed", "dosage", False),
])
def test_a_sig_that_states_the_course_only_in_words(client: FlaskClient, text: str, where: str,
                                                     fires: bool) -> None:
    assert ("HAM-05" in cards(client, SIGN, b.hook_request(drafts=[sig(text, where)]))) is fires


def test_accepting_the_fix_of_a_course_stated_in_words_rewrites_the_words(client: FlaskClient) -> None:
    body = b.hook_request(drafts=[sig("Tylenol 500mg po q6h prn x10d")])
    response = client.post(SIGN, json=body).get_json()
    [action] = response["cards"][0]["suggestions"][0]["actions"]
    assert action["resource"]["medicationCodeableConcept"]["text"] == "Tylenol 500mg po q6h prn x7 days"
    body["context"]["draftOrders"]["entry"][0]["resource"] = action["resource"]
    assert cards(client, SIGN, body) == []


@pytest.mark.parametrize(("text", "high_grade"), [
    ("Gr III R hamstring strain", True),
    ("Gr. 3 tear of R biceps femoris", True),
    ("3rd degree hamstring strain", True),
    ("Gr II R hamstring strain", False),
    ("Gr I hamstring strain, mild", False),
    ("Gr. 2 strain R semitendinosus", False),
])
def test_the_grade_in_charting_shorthand(client: FlaskClient, text: str, high_grade: bool) -> None:
    condition = b.condition(code="S76.311A", text=text)
    body = b.hook_request("patient-view", conditions=b.bundle(condition))
    assert ("HAM-11" in cards(client, VIEW, body)) is high_grade


def strength_case(code_text: str) -> dict[str, Any]:
    scenario = json.loads((FIXTURES / "ham12-strength-ratio-0-85-patient-view.json").read_text())
    body = copy.deepcopy(scenario["request"])
    for value in body["prefetch"].values():
        for entry in (value or {}).get("entry", []) if isinstance(value, dict) else []:
            resource = entry["resource"]
            if resource["resourceType"] == "Observation" and "valueQuantity" in resource:
                resource["code"] = {"text": code_text}
    return body


@pytest.mark.parametrize(("code_text", "fires"), [
    ("Hamstring strength limb symmetry index", True),
    ("Quadriceps strength limb symmetry index", False),
    ("Hip abductor strength LSI (HHD)", False),
    ("Knee flexor strength limb symmetry index", True),
])
def test_strength_symmetry_of_another_muscle_is_not_hamstring_weakness(code_text: str, fires: bool,
                                                                        tmp_path: Path) -> None:
    from datetime import date

    from cds_service import create_app

    scenario = json.loads((FIXTURES / "ham12-strength-ratio-0-85-patient-view.json").read_text())
    as_of = date.fromisoformat(scenario["asOf"])
    client = create_app({"instance_path": tmp_path / "i", "auth_required": False}, today=lambda: as_of).test_client()
    assert ("HAM-12" in cards(client, VIEW, strength_case(code_text))) is fires


@pytest.mark.parametrize(("texts", "days"), [
    (["x10d"], 10), (["for two weeks", "x 3 days"], 14), (["q6h prn"], None), (["every 8 hours"], None),
    (["20 min per hour"], None), ([None, 5], None),
])
def test_longest_stated_days(texts: list[Any], days: float | None) -> None:
    assert longest_stated_days(texts) == days
