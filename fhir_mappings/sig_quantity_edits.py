"""The quantity to dispense an analgesic order writes in its sig ('#42', 'disp: 28', 'x 30 tabs', 'Dispense 40
tablets'), brought in line when a suggestion caps the course (fhir_mappings/course_edits.py), so the order the
clinician signs says one quantity in its structure and its words.

A course read from the sig's quantity alone (form 'sig quantity': 'ibuprofen 400 mg, 1 tab TDS, #42') gets a
coded dispenseRequest.quantity of what the new course takes at most: the highest dose ('1-2 tabs': 2) at the
frequency, or the maximum a day the order states (daily_dose.py), in the dose's own unit when coded, else the
tablet or capsule form (v3 orderableDrugForm TAB or CAP), and every quantity
written larger than that is rewritten to the same number, the rest of the text as written. Earlier courses'
lengths stay as written (stated_durations.shorten_stated).

A text whose quantity cannot be rewritten unambiguously gets no fix rather than one whose text and structure
disagree: two different quantities, one spelled in words ('#40 (forty)', 'disp forty tabs'), one of another
form than the dose, or one in a text the edit cannot reach. When the dose or frequency cannot be worked out,
the quantity is named for a change by hand, as a coded quantity is (editing.report_by_hand).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from fhir_mappings.daily_dose import coded_dose, dosage_form, most_per_day, order_texts
from fhir_mappings.editing import report_by_hand
from fhir_mappings.medications import medication_text_holder
from fhir_mappings.sig_text import quantity_in_words, written_quantities

ORDERABLE_DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
FORM_CODES = {"tablet": "TAB", "capsule": "CAP"}


def sig_fields(resource: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(name, holder, key) of each text an analgesic's course is read from (analgesic_course.order_texts)."""
    holder = medication_text_holder(resource)
    if holder is not None:
        yield holder
    for i, dosage in enumerate(resource.get("dosageInstruction") or []):
        if isinstance(dosage, dict):
            for key in ("text", "patientInstruction"):
                if isinstance(dosage.get(key), str):
                    yield f"dosageInstruction[{i}].{key}", dosage, key
    for i, note in enumerate(resource.get("note") or []):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            yield f"note[{i}].text", note, "text"


def course_quantity(request: Any, days: int) -> int | None:
    """What `days` of the order take at most: its highest dose at its frequency (coded or in the sig's words),
    or the maximum a day it states (daily_dose.most_per_day); None when neither is stated."""
    most = most_per_day(request)
    return math.ceil(days * most[0] - 1e-9) if most else None


def set_sig_quantity(resource: dict[str, Any], request: Any, days: int) -> bool:
    """A coded quantity to dispense for `days` on an order whose course was read from its sig's quantity
    (refills none: they multiply the supply); False when neither the amount nor its unit can be worked out."""
    value, unit = course_quantity(request, days), _dispensed_unit(request)
    if value is None or unit is None:
        return False
    dispense = resource.get("dispenseRequest")
    if not isinstance(dispense, dict):
        dispense = resource["dispenseRequest"] = {}
    dispense["quantity"] = {"value": value, **unit}
    if dispense.get("numberOfRepeatsAllowed"):
        dispense["numberOfRepeatsAllowed"] = 0
    return True


def _dispensed_unit(request: Any) -> dict[str, str] | None:
    """The unit of a dispensed quantity the course is read from: the coded dose's own (tablets to tablets),
    else the counted form the sig's dose names ('1 tab': TAB)."""
    form, coded = dosage_form(request), coded_dose(request)
    if form is None:
        return None  # a dose in mg: no count of tablets to dispense
    if coded is not None:
        return {k: v for k, v in (("unit", coded.unit), ("system", coded.system), ("code", coded.code)) if v}
    return {"unit": form, "system": ORDERABLE_DRUG_FORM, "code": FORM_CODES[form]}


def cap_written_quantity(resource: dict[str, Any], request: Any, days: int) -> bool:
    """Rewrite, in place, each quantity the sig writes beyond what `days` take to that number; False when
    one beyond it cannot be rewritten unambiguously (the fix is then not offered)."""
    fields = list(sig_fields(resource))
    written = [(name, holder, key, q) for name, holder, key in fields for q in written_quantities(holder[key])]
    limit = course_quantity(request, days)
    if limit is None:
        report_by_hand([name for name, *_ in written])
        return True
    if all(q.value <= limit for *_, q in written):
        return True
    form = dosage_form(request)
    texts = [holder[key] for _, holder, key in fields]
    if (len({q.value for *_, q in written}) > 1 or any(q.form not in (None, form) for *_, q in written)
            or any(quantity_in_words(text) for text in texts) or _unreachable(request, len(written))):
        return False
    for _, holder, key in fields:
        holder[key] = _rewritten(holder[key], limit)
    return True


def _rewritten(text: str, limit: int) -> str:
    out, start = [], 0
    for quantity in written_quantities(text):
        if quantity.value > limit:
            out += [text[start:quantity.start], str(limit)]
            start = quantity.end
    return "".join(out) + text[start:]


def _unreachable(request: Any, reachable: int) -> bool:
    """The order writes more quantities than the edited texts hold (one in a text no edit reaches)."""
    return sum(len(written_quantities(t)) for t in order_texts(request) if isinstance(t, str)) > reachable
