"""Patient and Condition -> age, hamstring injuries (the population gate's inputs), weakness findings.

A hamstring condition counts when it is on record with an active clinical status, or is an encounter
diagnosis (category encounter-diagnosis) without a clinical status, as EHRs record visit diagnoses, dated
(recordedDate, else onset) within the guideline's `[population] encounter_diagnosis_days` before the
evaluation date. Resolved, inactive, in-remission, abated, refuted or entered-in-error ones never count.
A diagnosis given only as a physical-therapy order's reason: order_reasons.py.

High grade: fhir_mappings/tear_grade.py (a complete or near-complete tear or avulsion in the diagnosis, a
stage or a note; a coded lower grade outweighs a 'severe' severity).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.patient import Patient

from cards.facts import HamstringInjury
from fhir_mappings.record import Read
from fhir_mappings.tear_grade import high_grade_evidence
from fhir_mappings.terminology import concept_set
from fhir_mappings.timeutil import age_in_years, to_date

ACTIVE_CLINICAL_STATUS = {"active", "recurrence", "relapse"}
EXCLUDED_VERIFICATION = {"refuted", "entered-in-error"}
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-category"
ENCOUNTER_DIAGNOSIS = "encounter-diagnosis"


def patient_age(read: Read[Patient] | None, as_of: date) -> int | None:
    patient = read.model_as(Patient) if read is not None else None
    if patient is None or patient.birthDate is None:
        return None
    birth = to_date(patient.birthDate)
    return age_in_years(birth, as_of) if birth and birth <= as_of else None


def hamstring_injuries(conditions: Iterable[Read[Condition]], as_of: date | None = None,
                       encounter_diagnosis_days: int | None = None) -> tuple[HamstringInjury, ...]:
    """Hamstring conditions that place the patient in the population, each once: with an active clinical
    status, or (given `encounter_diagnosis_days`) an encounter diagnosis without one,
    dated within that many days before `as_of`."""
    hamstring = concept_set("hamstring-injury")
    window = (as_of - timedelta(days=encounter_diagnosis_days), as_of) if as_of and encounter_diagnosis_days else None
    found: dict[str, HamstringInjury] = {}
    for read in conditions:
        if not hamstring.matches_concept(read.json.get("code")):
            continue
        condition = read.model_as(Condition)
        if condition is None:
            continue
        # `conditions` and `encounterDiagnoses` may both hold an active encounter diagnosis: count it once.
        key = f"Condition/{condition.id}" if condition.id else f"#{len(found)}"
        if key in found:
            continue
        if _is_current(condition):
            found[key] = _injury(read, condition)
        elif window is not None and _is_recent_encounter_diagnosis(condition, *window):
            found[key] = _injury(read, condition).model_copy(update={"basis": "encounter-diagnosis"})
    return tuple(found.values())


def open_hamstring_injury(read: Read[Condition]) -> HamstringInjury | None:
    """A hamstring Condition that is not over (order_reasons.py: the Condition a PT order is for): an active
    clinical status or none; not abated, refuted or entered in error."""
    if not concept_set("hamstring-injury").matches_concept(read.json.get("code")):
        return None
    condition = read.model_as(Condition)
    if condition is None or not _is_open(condition):
        return None
    return _injury(read, condition)


def _status_codes(concept: Any) -> set[str]:
    """A status's codes; a status sent as text only ('Active', 'Entered in Error', as some EHRs send it) is
    read as the code whose display it is."""
    if concept is None:
        return set()
    codes = {c.code for c in (concept.coding or []) if c.code}
    if not codes and isinstance(concept.text, str):
        codes = {"-".join(concept.text.strip().lower().split())}
    return codes


def _is_current(condition: Condition) -> bool:
    if _status_codes(condition.verificationStatus) & EXCLUDED_VERIFICATION:
        return False
    return bool(_status_codes(condition.clinicalStatus) & ACTIVE_CLINICAL_STATUS)


def _is_open(condition: Condition) -> bool:
    """Current, or with no clinical status (common on encounter diagnoses and order reasons) and no sign it
    is over: an abatement, a refuted or entered-in-error verification."""
    if condition.clinicalStatus is not None:
        return _is_current(condition)
    if _status_codes(condition.verificationStatus) & EXCLUDED_VERIFICATION:
        return False
    return all(a is None for a in (condition.abatementDateTime, condition.abatementAge, condition.abatementPeriod,
                                   condition.abatementRange, condition.abatementString))


def _is_recent_encounter_diagnosis(condition: Condition, since: date, as_of: date) -> bool:
    """An encounter diagnosis without a clinical status, recorded (else with onset) from `since` to `as_of`."""
    if condition.clinicalStatus is not None or not _is_open(condition):
        return False
    if not any(c.code == ENCOUNTER_DIAGNOSIS and c.system in (None, CATEGORY_SYSTEM)
               for category in condition.category or [] for c in category.coding or []):
        return False
    onset = condition.onsetDateTime or (condition.onsetPeriod.start if condition.onsetPeriod else None)
    dated = to_date(condition.recordedDate) or to_date(onset)
    return dated is not None and since <= dated <= as_of


def _injury(read: Read[Condition], condition: Condition) -> HamstringInjury:
    """`condition`: the read's model (readable)."""
    evidence = high_grade_evidence(read.json)
    code = condition.code
    label = (code.text or next((c.display for c in code.coding or [] if c.display), None)) if code else None
    return HamstringInjury(
        ref=f"Condition/{condition.id}",
        label=label or "Hamstring condition",
        onset=to_date(condition.onsetDateTime or (condition.onsetPeriod.start if condition.onsetPeriod else None)),
        is_high_grade=evidence is not None,
        high_grade_evidence=evidence,
    )


def weakness_findings(conditions: Iterable[Read[Condition]]) -> tuple[str, ...]:
    """Labels of current conditions that record muscle weakness or thigh muscle wasting."""
    weakness = concept_set("muscle-weakness")
    found = []
    for read in conditions:
        if not weakness.matches_concept(read.json.get("code")):
            continue
        condition = read.model_as(Condition)
        if condition is not None and _is_current(condition):
            code = condition.code
            found.append((code.text if code else None) or "Muscle weakness")
    return tuple(found)
