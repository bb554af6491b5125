"""Editors that shorten a draft order (order_edits.EDITORS): an analgesic course to its days (a course read
from the sig's written quantity gets a coded one: sig_quantity_edits.py), and complete rest to its hours.
Each sets the length in the element that states it, brings the rest of the order in line (a dispensed
quantity or supply, refills, durations and quantities its text states), and reports what it could not
for a change by hand (editing.report_by_hand)."""

from __future__ import annotations

import math
from typing import Any

from fhir_mappings.analgesic_course import administrations_per_day, course_days, dose_per_administration
from fhir_mappings.editing import days_duration, hours_duration, report_by_hand, set_period_end
from fhir_mappings.sig_quantity_edits import cap_written_quantity, set_sig_quantity
from fhir_mappings.stated_durations import shorten_stated
from fhir_mappings.timeutil import duration_days, whole_days


def set_course_days(resource: dict[str, Any], request: Any, days: int) -> bool:
    """Shorten an analgesic course to `days` in the element that set its length, and the rest of the order
    with it: a dispensed quantity or supply beyond the new course, refills, and the durations and quantities
    its text states (False when a written quantity cannot be brought in line: sig_quantity_edits.py)."""
    if not _set_course_length(resource, request, days):
        return False
    dispense = resource.get("dispenseRequest")
    if isinstance(dispense, dict):
        _shorten_dispense(dispense, request, days)
    report_by_hand(shorten_stated(resource, days, f"{days} days"))
    return cap_written_quantity(resource, request, days)


def _shorten_dispense(dispense: dict[str, Any], request: Any, days: int) -> None:
    """No more dispensed than the shortened course takes (a quantity that cannot be worked out is reported)."""
    if dispense.get("numberOfRepeatsAllowed"):
        dispense["numberOfRepeatsAllowed"] = 0
    supply = dispense.get("expectedSupplyDuration")
    supplied = duration_days(request.dispenseRequest.expectedSupplyDuration) if request.dispenseRequest else None
    if isinstance(supply, dict) and supplied is not None and supplied > days:
        dispense["expectedSupplyDuration"] = days_duration(days)
    quantity = dispense.get("quantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        per_day, dose = administrations_per_day(request), dose_per_administration(request)
        if per_day and dose:
            quantity["value"] = min(quantity["value"], math.ceil(days * per_day * dose - 1e-9))
        else:
            report_by_hand(["dispenseRequest.quantity"])


def _set_course_length(resource: dict[str, Any], request: Any, days: int) -> bool:
    _, form = course_days(request)
    dispense = resource.get("dispenseRequest") or {}
    if form in ("expectedSupplyDuration", "quantity") and dispense.get("numberOfRepeatsAllowed"):
        dispense["numberOfRepeatsAllowed"] = 0
    repeat: Any = next((d["timing"]["repeat"] for d in resource.get("dosageInstruction") or []
                        if isinstance(d.get("timing"), dict) and isinstance(d["timing"].get("repeat"), dict)), None)
    per_day = administrations_per_day(request) or 0.0
    dose = dose_per_administration(request) or 0.0
    if form == "text":
        pass  # the course is stated only in words: set_course_days rewrites them
    elif form == "boundsDuration":
        repeat["boundsDuration"] = days_duration(days)
    elif form == "boundsRange":
        return _set_range_high(repeat["boundsRange"], request, days)
    elif form == "boundsPeriod":
        return set_period_end(repeat["boundsPeriod"], days)
    elif form == "expectedSupplyDuration":
        dispense["expectedSupplyDuration"] = days_duration(days)
    elif form == "count" and per_day:
        repeat["count"] = math.ceil(days * per_day - 1e-9)
    elif form == "quantity" and per_day and dose:
        dispense["quantity"]["value"] = math.ceil(days * per_day * dose - 1e-9)
    elif form == "sig quantity":  # '1 tab TDS, #42' in words only: a coded quantity, the words rewritten
        return set_sig_quantity(resource, request, days)
    else:
        return False
    return True


def _set_range_high(bounds: dict[str, Any], request: Any, days: int) -> bool:
    """A range of days whose upper bound is `days` (its lower bound no longer than that)."""
    parsed = next((d.timing.repeat.boundsRange for d in request.dosageInstruction or []
                   if d.timing and d.timing.repeat and d.timing.repeat.boundsRange), None)
    low = whole_days(duration_days(parsed.low)) if parsed is not None else None
    if low is not None:
        bounds["low"] = days_duration(min(low, days))
    bounds["high"] = days_duration(days)
    return True


def limit_rest_hours(resource: dict[str, Any], request: Any, hours: int) -> bool:
    """Bound a complete-rest order to `hours`, and the durations its text states ("NWB for 2 weeks")."""
    if not _set_rest_length(resource, request, hours):
        return False
    report_by_hand(shorten_stated(resource, hours / 24, f"{hours} hours"))
    return True


def _set_rest_length(resource: dict[str, Any], request: Any, hours: int) -> bool:
    """Bound a complete-rest order to `hours` (whole days, counting the first)."""
    days = max(1, hours // 24)
    if isinstance(resource.get("occurrencePeriod"), dict) and resource["occurrencePeriod"].get("start"):
        return set_period_end(resource["occurrencePeriod"], days, hours)
    timing = resource.get("occurrenceTiming")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if isinstance(repeat, dict):
        if isinstance(repeat.get("boundsPeriod"), dict) and repeat["boundsPeriod"].get("start"):
            return set_period_end(repeat["boundsPeriod"], days, hours)
        for choice in ("boundsPeriod", "boundsRange"):
            repeat.pop(choice, None)
        repeat["boundsDuration"] = hours_duration(hours)
        return True
    if "occurrenceDateTime" in resource or "occurrencePeriod" in resource:
        return False
    resource["occurrenceTiming"] = {"repeat": {"boundsDuration": hours_duration(hours)}}
    return True
