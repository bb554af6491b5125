"""Physical-therapy orders' reasons -> hamstring injuries: a diagnosis given only as what PT is for.

EHRs often name the diagnosis a physiotherapy order treats in the order alone (`reasonCode`, or
`reasonReference` to a Condition that is not on the problem list). A physical-therapy ServiceRequest
drafted in this call (any status but entered-in-error) or recorded active places the patient in the
population when a reason is in hamstring-injury: a code (ICD-10-CM S76.30-/S76.31-/S76.39-, S32.61-, SNOMED
481000119104) or an affirmed mention in its text (text_assertion.py: a negated or uncertain one does not
count); or a reference to a hamstring Condition that is not over (conditions.open_hamstring_injury), on record or
contained in the order ('#dx1': read as the Condition itself, its grade too), or, when the call does not
hold the Condition referenced, whose display is such a mention.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir.resources.R4B.condition import Condition

from cards.facts import HamstringInjury
from fhir_mappings.conditions import open_hamstring_injury
from fhir_mappings.indications import contained_condition
from fhir_mappings.json_hygiene import dicts_in
from fhir_mappings.record import Read
from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy import is_physical_therapy

NOT_AN_ORDER = "entered-in-error"


def order_reason_injuries(drafts: Iterable[Read[Any]], recorded_requests: Iterable[Read[Any]],
                          conditions: Iterable[Read[Condition]]) -> tuple[HamstringInjury, ...]:
    """Hamstring injuries named as the reason of a draft or active recorded physical-therapy order."""
    by_id = {str(c.json.get("id")): c for c in conditions if c.json.get("id")}
    orders = [*drafts, *recorded_requests]
    found: dict[str, HamstringInjury] = {}
    for read in orders:
        raw = read.json
        if read.resource_type != "ServiceRequest" or not is_physical_therapy(raw):
            continue
        if (read.status == NOT_AN_ORDER if read.is_draft else read.status != "active"):
            continue
        if read.model is None:  # unreadable: skipped and reported like any resource
            continue
        for injury in [*_coded_reasons(raw), *_referenced_reasons(raw, by_id, read.subject_ref)]:
            found.setdefault(injury.ref or injury.label, injury)
    return tuple(found.values())


def _coded_reasons(raw: dict[str, Any]) -> list[HamstringInjury]:
    hamstring, high_grade = concept_set("hamstring-injury"), concept_set("high-grade-hamstring-injury")
    return [HamstringInjury(label=_label(reason), basis="order-reason",
                            is_high_grade=high_grade.matches_concept(reason))
            for reason in dicts_in(raw.get("reasonCode")) if hamstring.matches_concept(reason)]


def _referenced_reasons(raw: dict[str, Any], conditions: dict[str, Read[Condition]],
                        subject_ref: str | None = None) -> list[HamstringInjury]:
    hamstring, high_grade = concept_set("hamstring-injury"), concept_set("high-grade-hamstring-injury")
    found = []
    for reference in dicts_in(raw.get("reasonReference")):
        target = _condition_id(reference.get("reference"))
        contained = contained_condition(raw, reference.get("reference"))
        if contained is not None:  # '#id': the Condition travels inside the order (Epic); its own id is local
            injury = open_hamstring_injury(Read(contained, subject_ref))
            if injury is not None:
                found.append(injury.model_copy(update={"basis": "order-reason", "ref": None}))
        elif target is not None and target in conditions:
            injury = open_hamstring_injury(conditions[target])
            if injury is not None:
                found.append(injury.model_copy(update={"basis": "order-reason"}))
        elif hamstring.has_text(reference.get("display")):
            found.append(HamstringInjury(label=reference["display"].strip(), basis="order-reason",
                                         is_high_grade=high_grade.has_text(reference["display"])))
    return found


def _condition_id(reference: Any) -> str | None:
    """The id in a relative or absolute reference to a Condition (`Condition/x`, `https://.../Condition/x`)."""
    if not isinstance(reference, str):
        return None
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    return parts[-1] if len(parts) >= 2 and parts[-2] == "Condition" and parts[-1] else None


def _label(concept: dict[str, Any]) -> str:
    text = concept.get("text")
    displays = [c.get("display") for c in dicts_in(concept.get("coding"))]
    label = next((t for t in [text, *displays] if isinstance(t, str) and t.strip()), None)
    return label.strip() if label else "Hamstring condition"
