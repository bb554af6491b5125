"""What `parse` does with a resource that fails validation: repair what is safe, else say why, without values.

A repair drops null and empty values (FHIR has none), conforms vendor deviations (conform.py), drops
members R4 does not know, and gives a missing required member that no criterion reads a neutral value
(the subject: the hook's patient). Anything else makes the resource unreadable, with the first problem.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from fhir_mappings.conform import conform
from fhir_mappings.json_hygiene import without_empty

MAX_REASON_CHARS = 300
# Required R4 members no criterion reads, with the neutral value used when a sender leaves them out.
NEUTRAL_REQUIRED: dict[str, dict[str, Any]] = {
    "ServiceRequest": {"intent": "order", "status": "unknown"},
    "MedicationRequest": {"intent": "order", "status": "unknown"},
    "DeviceRequest": {"intent": "order", "status": "unknown"},
    "Procedure": {"status": "unknown"},
    "Observation": {"status": "unknown"},
}


def unreadable_because(error: Exception | None) -> str:
    """The first problem validation found, as a member path and a message: no values (they may be PHI)."""
    if isinstance(error, ValidationError) and error.errors():
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ())) or "resource"
        text = f"{where}: {problem.get('msg', 'invalid')}"
    else:
        text = str(error or "invalid")
    return text[:MAX_REASON_CHARS]


def repaired(data: dict[str, Any], error: Exception, subject_ref: str | None,
             model: type[BaseModel]) -> dict[str, Any] | None:
    """`data` with one round of safe repairs for `error`; None when there is none to make."""
    if not isinstance(error, ValidationError):
        return None
    cleaned = without_empty(data)
    if cleaned != data:  # FHIR has no null or empty values: read the resource without them
        return cleaned  # type: ignore[no-any-return]
    conformed, changes = conform(data, model)
    if changes:  # one object where R4 has an array, a number sent as a string, ...
        return conformed
    repaired = dict(data)
    neutral = NEUTRAL_REQUIRED.get(str(data.get("resourceType")), {})
    changed = False
    for problem in error.errors():
        loc = problem.get("loc", ())
        if not loc:
            continue
        top = loc[0]
        if problem["type"] == "extra_forbidden" and len(loc) == 1 and top in repaired:
            del repaired[top]
            changed = True
        elif problem["type"] in ("missing", "model_field_validation.missing") and len(loc) == 1:
            if top in neutral:
                repaired[top] = neutral[top]
                changed = True
            elif top == "subject" and subject_ref:
                repaired["subject"] = {"reference": subject_ref}
                changed = True
    return repaired if changed else None
