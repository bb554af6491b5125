"""High grade (HAM-11, issue 15 §1): a coded lower grade beats a 'severe' severity; the critical card needs a
complete or near-complete tear or an avulsion recorded in the diagnosis, a stage or a note, or a severe
severity with no lower grade anywhere. Each case names what records the grade."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_mappings.conditions import hamstring_injuries
from fhir_mappings.record import reads
from fhir_mappings.tear_grade import high_grade_evidence
from tests import builders as b

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = b.SNOMED
SEVERE = {"coding": [{"system": SCT, "code": "24484000", "display": "Severe"}]}
MILD = {"coding": [{"system": SCT, "code": "255604002", "display": "Mild"}]}
MODERATE = {"coding": [{"system": SCT, "code": "6736007", "display": "Moderate"}]}


def condition(code: str = "S76.311A", text: str | None = "Right hamstring strain", **members: Any) -> dict[str, Any]:
    return b.condition(code=code, text=text, **members)


def stage(concept: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"summary": concept}]


def note(text: str) -> list[dict[str, str]]:
    return [{"text": text}]


@pytest.mark.parametrize(("members", "evidence"), [
    # a coded lower grade with a severe severity is not a high-grade tear
    ({"text": "Grade 1 strain of right hamstring", "severity": {"text": "severe"}}, None),
    ({"text": "Grade I strain of right hamstring", "severity": SEVERE}, None),
    ({"text": "Hamstring strain, grade II", "severity": SEVERE}, None),
    ({"text": "Right hamstring strain (grade ii)", "severity": SEVERE}, None),
    ({"text": "Mild right hamstring strain", "severity": SEVERE}, None),
    ({"text": "Second-degree hamstring strain", "severity": {"text": "Severe"}}, None),
    ({"text": "Partial tear of the biceps femoris", "severity": SEVERE}, None),
    ({"text": "Hamstring strain BAMIC 2b", "severity": SEVERE}, None),
    ({"severity": SEVERE, "stage": stage({"text": "Grade 2"})}, None),
    ({"severity": SEVERE, "stage": stage({"coding": [{"system": SCT, "code": "255609007"}]})}, None),  # Partial
    ({"severity": SEVERE, "note": note("MRI: grade 1 strain of the biceps femoris, tendons intact")}, None),
    ({"text": "Hamstring strain", "severity": MODERATE}, None),
    ({"severity": SEVERE, "stage": [{"type": {"text": "BAMIC grade"}, "summary": {"text": "2b"}}]}, None),
    ({"stage": [{"type": {"text": "Munich"}, "summary": {"text": "4"}}]}, "stage"),
    # ... while without a lower grade a severe severity still reads as grade III (local convention)
    ({"severity": SEVERE}, "severity"),
    ({"severity": {"text": "severe"}}, "severity"),
    ({"stage": stage(SEVERE)}, "severity"),
    ({"text": "Grade 2 hamstring strain", "stage": stage(SEVERE)}, None),     # a stage coded Severe is a severity
    # a complete or near-complete tear or an avulsion
    ({"code": "S32.611A", "text": None}, "diagnosis"),
    ({"code": "S32.611A", "text": None, "severity": MILD}, "diagnosis"),
    ({"code": "M66.351", "text": "Spontaneous rupture of flexor tendons, right thigh"}, "diagnosis"),
    ({"text": "Complete avulsion of the right proximal hamstring"}, "diagnosis"),
    ({"text": "Hamstring strain grade III", "severity": MODERATE}, "diagnosis"),
    ({"text": "Near-complete tear of semimembranosus"}, "diagnosis"),
    ({"stage": stage({"coding": [{"system": SCT, "code": "255594003", "display": "Complete"}]})}, "stage"),
    ({"note": note("MRI: conjoint tendon avulsed from the ischial tuberosity, retracted 5 cm")}, "note"),
    ({"text": "Grade 2 hamstring strain", "note": note("Repeat MRI: complete avulsion, retracted 4 cm")}, "note"),
    # none
    ({}, None),
    ({"text": "Incomplete tear of right hamstring", "severity": SEVERE}, None),
    ({"text": "Right hamstring strain; partial avulsion"}, None),
    ({"text": "Right hamstring strain", "note": note("No avulsion, no retraction.")}, None),
])
def test_what_records_a_high_grade(members: dict[str, Any], evidence: str | None) -> None:
    assert high_grade_evidence(condition(**members)) == evidence


def test_the_injury_carries_the_evidence() -> None:
    (injury,) = hamstring_injuries(reads([condition(code="S32.611A", text=None)], "Patient/pat-1"))
    assert injury.is_high_grade and injury.high_grade_evidence == "diagnosis"
    strained = condition(text="Grade 1 hamstring strain", severity=SEVERE)
    (strain,) = hamstring_injuries(reads([strained], "Patient/pat-1"))
    assert not strain.is_high_grade and strain.high_grade_evidence is None
