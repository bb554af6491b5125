"""How much of an analgesic an order lets the patient take, per administration and per day (HAM-05's course
from the quantity dispensed: fhir_mappings/analgesic_course.py, whose docstring states the rule; the fix's
quantity: course_edits.py, sig_quantity_edits.py).

The check is a maximum, so each amount is the most the order allows: a dose range (doseAndRate.doseRange
'1-2 tablets', or '1-2 tabs', 'one to two tablets' in the sig's words) at its highest dose; without a dose,
Dosage.maxDosePerAdministration. A day is that dose at the frequency (Timing.repeat, Timing.code, or words),
capped by a maximum a day the order states (Dosage.maxDosePerPeriod, 'max 6 tabs/day'), which alone counts
when the dose or frequency is not stated. Nothing stated: no amount (no dose is assumed).
"""

from __future__ import annotations

from typing import Any

from fhir_mappings.dosing_frequency import per_day_of_code
from fhir_mappings.medications import medication_text
from fhir_mappings.sig_text import counted_form, dose_in, max_per_day_in, per_day_in
from fhir_mappings.timeutil import amount, duration_days, unit_days


def order_texts(request: Any) -> list[Any]:
    """The free text of a MedicationRequest where a sig states its course: the medication text (order entry
    often writes the whole sig there), dosage text and instructions, notes."""
    texts: list[Any] = [medication_text(request)]
    for dosage in request.dosageInstruction or []:
        texts += [dosage.text, dosage.patientInstruction]
    return texts + [note.text for note in request.note or []]


def coded_dose(request: Any) -> Any:
    """The first dosage line's highest coded dose (Quantity): its doseQuantity, else the high of its doseRange
    (a range without its high has no highest dose); None."""
    for dosage in request.dosageInstruction or []:
        for dose_rate in dosage.doseAndRate or []:
            if dose_rate.doseQuantity is not None:
                return dose_rate.doseQuantity
            if dose_rate.doseRange is not None and dose_rate.doseRange.high is not None:
                return dose_rate.doseRange.high
    return None


def highest_dose(request: Any) -> tuple[float, str | None] | None:
    """The highest dose per administration and its unit: coded (`coded_dose`), else in the sig's words
    ('1-2 tabs': 2 tablets), else the order's maxDosePerAdministration; None."""
    coded = coded_dose(request)
    value = amount(coded.value, "dose") if coded is not None else None
    if coded is not None and value:
        return value, unit_of(coded)
    written = dose_in(order_texts(request))
    if written:
        return written
    top = next((d.maxDosePerAdministration for d in request.dosageInstruction or []
                if d.maxDosePerAdministration is not None), None)
    value = amount(top.value, "maximum dose") if top is not None else None
    return (value, unit_of(top)) if top is not None and value else None


def dosage_form(request: Any) -> str | None:
    """The counted form a dose is in: the highest dose's unit ('tablet', 'TAB', '{tbl}', '1 tab': tablet), else
    a maximum a day's; None for a dose in mg or none stated."""
    dose = highest_dose(request)
    if dose is not None:
        return counted_form(dose[1])
    most = max_per_day(request)
    return most[1] if most else None


def administrations_per_day(request: Any) -> float | None:
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is None:
            coded = per_day_of_code(dosage.timing.code) if dosage.timing else None  # 'TID', 'Q8H'
            if coded:
                return coded
            continue
        frequency = amount(repeat.frequencyMax or repeat.frequency, "frequency")
        period, per_unit = amount(repeat.period, "period"), unit_days(repeat.periodUnit)
        if frequency and period and per_unit:
            return frequency / (period * per_unit)
    return per_day_in(order_texts(request))  # only in the sig's words: '1 tab TDS'


def max_per_day(request: Any) -> tuple[float, str | None] | None:
    """The most the order allows in a day and its counted form: Dosage.maxDosePerPeriod (6 tablets per
    1 day; per 24 h), else the sig's words ('max 6 tabs/day'; its form unnamed: the dose's)."""
    for dosage in request.dosageInstruction or []:
        ratio = dosage.maxDosePerPeriod
        top = amount(ratio.numerator.value, "maximum dose") if ratio and ratio.numerator else None
        days = duration_days(ratio.denominator) if ratio and ratio.denominator else None
        if top and days:
            return top / days, counted_form(ratio.numerator.code) or counted_form(ratio.numerator.unit)
    written = max_per_day_in(order_texts(request))
    if written is None or not written[0]:
        return None
    dose = highest_dose(request)
    return written if written[1] is not None else (written[0], counted_form(dose[1]) if dose else None)


def most_per_day(request: Any) -> tuple[float, str | None] | None:
    """The most taken in a day and its unit (a counted form, or the coded dose's own unit): the highest dose
    at the frequency, no more than a maximum a day in the same form; that maximum alone when the dose or
    frequency is not stated; None when neither gives one."""
    per_day, dose = administrations_per_day(request), highest_dose(request)
    taken = (per_day * dose[0], dose[1]) if per_day and dose else None
    cap = max_per_day(request)
    if cap is None or cap[1] is None or (taken is not None and (cap[1] != taken[1] or cap[0] >= taken[0])):
        return taken
    return cap


def unit_of(quantity: Any) -> str | None:
    """A Quantity's unit to compare with another's (a dose's, a quantity dispensed): its counted form
    ('TAB', 'tablet', '{tbl}': tablet), else its code or unit as written."""
    written = (quantity.code or quantity.unit or "").strip().lower()
    return counted_form(quantity.code) or counted_form(quantity.unit) or written or None
