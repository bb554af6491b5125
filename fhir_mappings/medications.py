"""The drug a MedicationRequest orders, in whichever shape the EHR sends it (HAM-05).

R4 allows `medicationCodeableConcept` or `medicationReference`. EHRs that order from a formulary send the
reference: to a Medication contained in the request ('#med1': its `code` and dose `form` say what it is) or
to one elsewhere, often with the product's name in the reference's `display`. The drug is read, in that
order, from the CodeableConcept, the contained Medication, or the display (as text). A Medication that is
neither contained nor named leaves the drug unknown, as before: the service fetches no Medication.
"""

from __future__ import annotations

from typing import Any


def medication_concept(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The CodeableConcept naming the ordered drug, or None when the request does not say."""
    concept = raw.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        return concept
    medication = contained_medication(raw)
    if medication is not None and isinstance(medication.get("code"), dict):
        return medication["code"]
    reference = raw.get("medicationReference")
    display = reference.get("display") if isinstance(reference, dict) else None
    return {"text": display} if isinstance(display, str) and display.strip() else None


def medication_form(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The dose form of the contained Medication ('Topical gel', 'Oral tablet'), when there is one."""
    medication = contained_medication(raw)
    form = medication.get("form") if medication is not None else None
    return form if isinstance(form, dict) else None


def contained_medication(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The contained Medication that `medicationReference` names ('#id'), or None."""
    reference = raw.get("medicationReference")
    ref = reference.get("reference") if isinstance(reference, dict) else None
    contained = raw.get("contained")
    if not isinstance(ref, str) or not ref.startswith("#") or not isinstance(contained, list):
        return None
    return next(
        (
            c
            for c in contained
            if isinstance(c, dict) and c.get("resourceType") == "Medication" and c.get("id") == ref[1:]
        ),
        None,
    )


def medication_text(request: Any) -> str | None:
    """The drug's text on a validated MedicationRequest (the same sources, in the same order)."""
    if request.medicationCodeableConcept is not None:
        return request.medicationCodeableConcept.text  # type: ignore[no-any-return]
    reference = request.medicationReference
    if reference is None:
        return None
    named = next((c for c in request.contained or [] if f"#{c.id}" == reference.reference), None)
    code = getattr(named, "code", None)
    return code.text if code is not None else reference.display  # type: ignore[no-any-return]


def medication_text_holder(raw: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
    """Where the drug's text that `medication_text` reads sits in the order's JSON, for an edit to rewrite
    (name, holder, key): the CodeableConcept's text, the contained Medication's code text, or the display."""
    concept = raw.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        return ("medicationCodeableConcept.text", concept, "text") if isinstance(concept.get("text"), str) else None
    medication = contained_medication(raw)
    if medication is not None and isinstance(medication.get("code"), dict):
        code = medication["code"]
        return ("contained Medication code.text", code, "text") if isinstance(code.get("text"), str) else None
    reference = raw.get("medicationReference")
    if isinstance(reference, dict) and isinstance(reference.get("display"), str):
        return "medicationReference.display", reference, "display"
    return None
