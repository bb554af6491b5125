"""How long an analgesic course runs, in days (HAM-05; which orders are analgesic courses:
fhir_mappings/analgesics.py).

The length: the dosage lines' own bounds when they have any (Timing boundsDuration, boundsPeriod,
boundsRange: how long the order itself says the drug is taken). Else how long what is supplied lasts, first
match wins: dispense expectedSupplyDuration; repeat.count at its frequency; dispense quantity over the daily
dose, the dose, frequency or quantity read from the sig's words when not coded ('1 tab TDS, #42':
fhir_mappings/sig_text.py); refills (numberOfRepeatsAllowed) multiply them. A duration the order states in
words ('x 14 days', 'for 2 weeks', 'x 7-10 days' at its upper bound; an earlier course's aside:
stated_durations.py) is read too, and the longer of the two counts: HAM-05 is a maximum, and '1 tab BID for
2 weeks, disp 14' tells the patient to take it for 14 days whatever the 14 tablets last (form 'text'; its fix
rewrites the words and caps the supply to the new length). Equal readings keep the supply's form.

The daily dose is the most the order allows (fhir_mappings/daily_dose.py), so the course read from a quantity
is the shortest that quantity lasts: a dose range (doseAndRate.doseRange '1-2 tablets', or '1-2 tabs TDS prn
#42', 'one to two tablets three times a day, #60' in words) at its highest dose, and HAM-05 fires only when
even that takes longer than the maximum (assuming the low dose would give false cards); a maximum a day the
order states (maxDosePerPeriod, 'max 6 tabs/day') caps it. With no dose at all (none coded, none in words, no
maxDosePerAdministration) only a stated maximum a day gives a defensible shortest course; otherwise the
course stays unread: any tablets per dose assumed (one? the largest single dose of the product's strength?)
would be a clinical number neither the guideline nor the order states, and no fix could be written for it.

dispenseRequest.validityPeriod is when the prescription may be filled, not how long the drug is taken, and
is never used. The form returned names the element that set the length, for the fix to shorten
(fhir_mappings/course_edits.py).
"""

from __future__ import annotations

from typing import Any

from fhir_mappings.daily_dose import (
    administrations_per_day,
    dosage_form,
    most_per_day,
    order_texts,
    unit_of,
)
from fhir_mappings.sig_text import quantity_in
from fhir_mappings.stated_durations import longest_stated_days
from fhir_mappings.timeutil import (
    amount,
    duration_days,
    period_days,
    plausible_days,
    range_days,
    to_date,
)


def course_days(request: Any) -> tuple[float | None, str | None]:
    lined = _dosage_line_days(request)
    if lined is not None:
        return lined
    supplied, form = _supplied_days(request)
    stated = plausible_days(longest_stated_days(order_texts(request)), "course")  # "q6h prn x10d", "x 14 days, #21"
    if stated and (supplied is None or stated > supplied + 1e-9):
        return stated, "text"  # told to take it longer than the supply lasts: the longer one (a maximum)
    return (supplied, form) if supplied is not None else (None, None)


def _supplied_days(request: Any) -> tuple[float | None, str | None]:
    """How long what the order supplies lasts (supply, dose count, quantity dispensed), and the element read."""
    dispense = request.dispenseRequest
    refills = amount(dispense.numberOfRepeatsAllowed, "refills") if dispense is not None else None
    fills = 1 + (refills or 0)
    supply = duration_days(dispense.expectedSupplyDuration) if dispense is not None else None
    if supply:
        return plausible_days(supply * fills, "course"), "expectedSupplyDuration"
    per_day = administrations_per_day(request)
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        count = amount(repeat.count, "dose count") if repeat is not None else None
        if count and per_day:
            return plausible_days(count / per_day, "course"), "count"
    most = most_per_day(request)  # the highest dose at the frequency, or a maximum a day
    quantity = dispense.quantity if dispense is not None else None
    dispensed = amount(quantity.value, "dispensed quantity") if quantity is not None else None
    if dispensed and most and most[1] is not None and unit_of(quantity) == most[1]:  # tablets for tablets
        return plausible_days(dispensed * fills / most[0], "course"), "quantity"
    written = quantity_in(order_texts(request)) if quantity is None else None  # '#42' in the sig only
    form = dosage_form(request) if written else None  # tablets for tablets: not '#42' for a dose in mg
    if written and most and form is not None and most[1] == form and written[1] in (None, form):
        return plausible_days(written[0] * fills / most[0], "course"), "sig quantity"
    return None, None


def _dosage_line_days(request: Any) -> tuple[float | None, str] | None:
    """The course the dosage lines' own bounds give: lines of one `sequence` run together (the longest
    counts), sequences one after another (1 then 2: their lengths add up), a line without a sequence
    alongside all of them; dated lines (boundsPeriod) span from the earliest start to the latest end.
    A range counts its upper bound (the check is a maximum). The form names the one line that set the
    length, or `dosageInstruction` when several did (no single element to shorten)."""
    by_sequence: dict[int | None, float] = {}
    forms: list[str] = []
    periods: list[Any] = []
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        days, form = _line_days(repeat)
        if days is None or form is None:
            continue
        forms.append(form)
        if form == "boundsPeriod" and repeat is not None:
            periods.append(repeat.boundsPeriod)
        by_sequence[dosage.sequence] = max(days, by_sequence.get(dosage.sequence, 0.0))
    if not forms:
        return None
    together = by_sequence.pop(None, 0.0)
    total = max(sum(by_sequence.values()), together)
    if len(periods) > 1:
        starts = [(day, p.start) for p in periods if (day := to_date(p.start)) is not None]
        ends = [(day, p.end) for p in periods if (day := to_date(p.end)) is not None]
        span = period_days(min(starts, key=_first)[1], max(ends, key=_first)[1]) if starts and ends else None
        total = max(total, span or 0.0)
    return plausible_days(total, "course"), forms[0] if len(forms) == 1 else "dosageInstruction"


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _line_days(repeat: Any) -> tuple[float | None, str | None]:
    if repeat is None:
        return None, None
    if repeat.boundsDuration is not None and duration_days(repeat.boundsDuration):
        return duration_days(repeat.boundsDuration), "boundsDuration"
    if repeat.boundsPeriod is not None:
        days = period_days(repeat.boundsPeriod.start, repeat.boundsPeriod.end)
        if days:
            return days, "boundsPeriod"
    ranged = range_days(repeat.boundsRange, "high")
    if ranged:
        return ranged, "boundsRange"
    return None, None
