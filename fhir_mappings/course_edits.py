"""Editors that shorten a draft order (order_edits.EDITORS): an analgesic course to its days (a course read
from the sig's written quantity gets a coded one: sig_quantity_edits.py), and complete rest to its hours.
Each sets the length in the element that states it, brings the rest of the order in line (a dispensed
quantity or supply, a dose count, refills, durations and quantities its text states), and reports what it
could not for a change by hand (editing.report_by_hand).

Both lengths are maximums (HAM-05, HAM-06), so a range the text states beyond the new length ('x 7-10 days',
'for 5 to 10 days', 'x 1-2 weeks', 'x 3-5/7': read at its upper bound) is rewritten whole to the new length
('x 7 days'), the rest of the text as written; a range within it, an earlier course's and a dosing interval's
('q 4-6 h') stay as written."""

from __future__ import annotations

import math
from typing import Any

from fhir_mappings.analgesic_course import course_days
from fhir_mappings.daily_dose import administrations_per_day, most_per_day
from fhir_mappings.editing import days_duration, hours_duration, report_by_hand, set_period_end
from fhir_mappings.sig_quantity_edits import cap_written_quantity, set_sig_quantity
from fhir_mappings.stated_durations import (
    DURATION,
    INTERVAL_BEFORE,
    RANGE_LOW,
    UNREAD_RANGE,
    is_interval,
    is_not_its_own,
    shorten_stated,
    stated_days,
    text_fields,
)
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
    report_by_hand(shorten_stated_lengths(resource, days, f"{days} days"))
    return cap_written_quantity(resource, request, days)


def shorten_stated_lengths(resource: dict[str, Any], limit_days: float, phrase: str) -> list[str]:
    """Rewrite, in place, the ranges (whole) and durations the texts state beyond `limit_days` to `phrase`
    (see the module docstring); the fields left to change by hand (stated_durations.shorten_stated)."""
    for _, holder, key in text_fields(resource):
        holder[key] = ranges_shortened(holder[key], limit_days, phrase)
    by_hand = shorten_stated(resource, limit_days, phrase)
    return [name for name, holder, key in text_fields(resource)
            if name in by_hand and _states_a_range_beyond(holder[key], limit_days)]


def _states_a_range_beyond(text: str, limit_days: float) -> bool:
    """`text` still states a range beyond `limit_days` of this order ('x 7 - 10 days', spaced: no range as
    read), not an earlier course's ('previous 10-14 day course')."""
    ends = {found.end() for found in UNREAD_RANGE.finditer(text)}
    return any(m.end() in ends and stated_days(m) > limit_days + 1e-9 and not is_not_its_own(m)
               for m in DURATION.finditer(text))


def ranges_shortened(text: str, limit_days: float, phrase: str) -> str:
    """`text` with each range of a length whose upper bound is beyond `limit_days` replaced by `phrase`."""
    out, start = [], 0
    for match in DURATION.finditer(text):
        low = RANGE_LOW.search(text, 0, match.start())  # the range's lower bound: '7-' of '7-10 days'
        if (low is None or low.start() < start or stated_days(match) <= limit_days + 1e-9 or is_interval(match)
                or INTERVAL_BEFORE.search(text, 0, low.start()) or is_not_its_own(match)):
            continue
        out += [text[start:low.start()], phrase]
        start = match.end()
    return "".join(out) + text[start:]


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
        most = most_per_day(request)  # the highest dose at the frequency: the shortest course it lasts
        if most:
            quantity["value"] = min(quantity["value"], math.ceil(days * most[0] - 1e-9))
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
    most = most_per_day(request)
    if form == "text" and isinstance(repeat, dict) and isinstance(repeat.get("count"), int) and per_day:
        repeat["count"] = min(repeat["count"], math.ceil(days * per_day - 1e-9))  # its doses no longer either
    elif form == "text":
        pass  # the course is stated in words (beyond any supply): set_course_days rewrites them
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
    elif form == "quantity" and most:
        dispense["quantity"]["value"] = math.ceil(days * most[0] - 1e-9)
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
    report_by_hand(shorten_stated_lengths(resource, hours / 24, f"{hours} hours"))
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
