"""Patient and Condition -> age, active hamstring injuries (the population gate's inputs), weakness findings.

High grade (terminology.md section 6.3): the code, a stage summary or a note (an imaging report) in
high-grade-hamstring-injury (S32.61-, nontraumatic thigh rupture, 'Complete' qualifier, avulsion,
complete-tear or retraction text), or a severity in severe-severity (24484000, 'severe', 'grade 3'). Text
counts only where affirmed ("no retraction", "previous avulsion, repaired 2019", "complete tear of the
ACL" do not: fhir_mappings/text_assertion.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.patient import Patient

from cards.facts import HamstringInjury
from fhir_mappings.parse import parse
from fhir_mappings.terminology import concept_set
from fhir_mappings.timeutil import age_in_years, to_date

ACTIVE_CLINICAL_STATUS = {"active", "recurrence", "relapse"}
EXCLUDED_VERIFICATION = {"refuted", "entered-in-error"}


def patient_age(raw_patient: dict[str, Any] | None, as_of: date) -> int | None:
    if raw_patient is None:
        return None
    patient = parse(raw_patient)
    if not isinstance(patient, Patient) or patient.birthDate is None:
        return None
    birth = to_date(patient.birthDate)
    return age_in_years(birth, as_of) if birth and birth <= as_of else None


def hamstring_injuries(raw_conditions: Iterable[dict[str, Any]], subject_ref: str) -> tuple[HamstringInjury, ...]:
    hamstring = concept_set("hamstring-injury")
    found = []
    for raw in raw_conditions:
        if not hamstring.matches_concept(raw.get("code")):
            continue
        condition = parse(raw, subject_ref)
        if isinstance(condition, Condition) and _is_current(condition):
            found.append(_injury(condition, raw))
    return tuple(found)


def _status_codes(concept: Any) -> set[str]:
    return {c.code for c in (concept.coding or []) if c.code} if concept is not None else set()


def _is_current(condition: Condition) -> bool:
    if _status_codes(condition.verificationStatus) & EXCLUDED_VERIFICATION:
        return False
    return bool(_status_codes(condition.clinicalStatus) & ACTIVE_CLINICAL_STATUS)


def _injury(condition: Condition, raw: dict[str, Any]) -> HamstringInjury:
    high_grade = concept_set("high-grade-hamstring-injury")
    is_high_grade = (
        high_grade.matches_concept(raw.get("code"))
        or concept_set("severe-severity").matches_concept(raw.get("severity"))
        or any(high_grade.matches_concept(stage.get("summary")) for stage in raw.get("stage") or []
               if isinstance(stage, dict))
        or high_grade.mentioned_in(n.get("text") for n in raw.get("note") or [] if isinstance(n, dict))
    )
    code = condition.code
    label = (code.text or next((c.display for c in code.coding or [] if c.display), None)) if code else None
    return HamstringInjury(
        ref=f"Condition/{condition.id}",
        label=label or "Hamstring condition",
        onset=to_date(condition.onsetDateTime or (condition.onsetPeriod.start if condition.onsetPeriod else None)),
        is_high_grade=is_high_grade,
    )


def weakness_findings(raw_conditions: Iterable[dict[str, Any]], subject_ref: str) -> tuple[str, ...]:
    """Labels of current conditions that record muscle weakness or thigh muscle wasting."""
    weakness = concept_set("muscle-weakness")
    found = []
    for raw in raw_conditions:
        if not weakness.matches_concept(raw.get("code")):
            continue
        condition = parse(raw, subject_ref)
        if isinstance(condition, Condition) and _is_current(condition):
            code = condition.code
            found.append((code.text if code else None) or "Muscle weakness")
    return tuple(found)
