"""Population gate and the high-grade predicate (terminology.md section 6.3) from FHIR: who gets cards."""

from __future__ import annotations

from typing import Any

import pytest

from cards.engine import evaluate
from cds_service.pipeline import data_for
from fhir_mappings.conditions import hamstring_injuries
from fhir_mappings.facts import build_facts
from fhir_mappings.record import reads
from tests import builders as b
from tests.builders import AS_OF
from tests.clinical import GUIDELINE

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SUBJECT = "Patient/pat-1"


def gate(birth_date: str | None = "1990-06-15", *conditions: dict[str, Any]) -> bool:
    patient = b.patient(birth_date) if birth_date else {"resourceType": "Patient", "id": b.PATIENT_ID}
    prefetch = {"patient": patient, "conditions": b.bundle(*(conditions or (b.condition(),)))}
    facts = build_facts(data_for(hook="patient-view", patient_id=b.PATIENT_ID, prefetch=prefetch), AS_OF)
    return evaluate(facts, GUIDELINE).in_population


@pytest.mark.parametrize(("birth_date", "inside"), [
    ("2008-11-24", False),  # 17, turns 18 tomorrow
    ("2008-11-23", True),   # 18 today
    ("1960-11-24", True),   # 65, turns 66 tomorrow
    ("1960-11-23", False),  # 66 today
    ("2027-01-01", False),  # born after the evaluation date
    (None, False),          # no birth date: no card rather than a guess
])
def test_age_range_is_inclusive_at_the_evaluation_date(birth_date: str | None, inside: bool) -> None:
    assert gate(birth_date) is inside


@pytest.mark.parametrize(("clinical", "verification", "inside"), [
    ("active", "confirmed", True), ("recurrence", "confirmed", True), ("relapse", "provisional", True),
    ("active", "unconfirmed", True), ("resolved", "confirmed", False), ("inactive", "confirmed", False),
    ("remission", "confirmed", False), ("active", "refuted", False), ("active", "entered-in-error", False),
])
def test_clinical_and_verification_status(clinical: str, verification: str, inside: bool) -> None:
    assert gate("1990-06-15", b.condition(clinical=clinical, verification=verification, text=None)) is inside


def test_missing_clinical_status_is_no_card() -> None:
    condition = b.condition(text=None)
    del condition["clinicalStatus"]
    assert gate("1990-06-15", condition) is False


@pytest.mark.parametrize(("code", "system", "text", "inside"), [
    ("S76.311A", ICD, None, True), ("S76.312D", ICD, None, True), ("S76.309S", ICD, None, True),
    ("S76391A", ICD, None, True),           # dotless
    ("S32.612A", ICD, None, True),          # ischial avulsion counts
    ("481000119104", "http://snomed.info/sct", None, True),
    ("S76.321A", ICD, None, False),         # laceration: open injury, outside this guideline
    ("S76.011A", ICD, None, False),         # hip muscle strain
    ("M79.651", ICD, "Pain in right thigh", False),
    ("X", "urn:local", "Left biceps femoris strain", True),  # text only
])
def test_hamstring_condition_codes(code: str, system: str, text: str | None, inside: bool) -> None:
    assert gate("1990-06-15", b.condition(code=code, system=system, text=text)) is inside


def injury(**members: Any) -> bool:
    (found,) = hamstring_injuries(reads([b.condition(**members)], SUBJECT))
    return found.is_high_grade


@pytest.mark.parametrize(("members", "high"), [
    ({}, False),
    ({"code": "S32.611A", "text": None}, True),
    ({"code": "M62.151", "text": "Rupture of right hamstring muscle"}, True),
    ({"text": "Complete tear of right hamstring"}, True),
    ({"text": "Near-complete tear of the biceps femoris"}, True),
    ({"text": "Proximal hamstring avulsion"}, True),
    ({"text": "Hamstring strain, grade III"}, True),
    ({"text": "Hamstring strain grade 3"}, True),
    ({"text": "Incomplete tear of right hamstring"}, False),
    ({"text": "Hamstring strain grade II"}, False),
    ({"severity": {"coding": [{"system": "http://snomed.info/sct", "code": "24484000"}]}}, True),
    ({"severity": {"text": "Severe"}}, True),
    ({"severity": {"coding": [{"system": "http://snomed.info/sct", "code": "6736007"}]}}, False),
    ({"stage": [{"summary": {"coding": [{"system": "http://snomed.info/sct", "code": "255594003"}]}}]}, True),
    ({"stage": [{"summary": {"text": "Partial"}}]}, False),
])
def test_high_grade_predicate(members: dict[str, Any], high: bool) -> None:
    assert injury(**members) is high
