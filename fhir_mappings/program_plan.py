"""How long a physical-therapy order's program runs and how many sessions it plans.

Program length, first match wins: occurrencePeriod; Timing bounds (period, duration, range: its lower
bound, since the check is a minimum); repeat.count at its frequency; without a Timing, the length the
order's name (its code's text, else a display) states ('PT 2x/wk x 6 wks'; a range at its lower bound, as a
boundsRange: 'x 10-14 wks' is 10 weeks). A period with times of day runs the time between them (timeutil).
Sessions, first match wins: quantity in sessions or visits; repeat.count; frequency times the bounded
duration; without a Timing, the sessions the order's name states ('8-16 visits': the lower bound), else its
sessions a week over the length it states ('PT BIW x 8 weeks', 'PT q2 weeks x 12 weeks': 6). A Timing's
frequency is its repeat's, else its code's (QD, BID, QOD: the GTSAbbreviation table analgesic sigs are read
with, dosing_frequency.py). The form each came from is kept, so a fix edits the order the same way.
Absurd values (far-future dates, negative or century-long durations) are unusable: timeutil reads them as
absent.
"""

from __future__ import annotations

import math
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

from fhir_mappings.dosing_frequency import per_day_of_code
from fhir_mappings.session_rates import stated_sessions, stated_sessions_per_week
from fhir_mappings.stated_durations import longest_stated_days
from fhir_mappings.timeutil import (
    amount,
    duration_days,
    period_days,
    plausible_days,
    range_days,
    to_date,
    unit_days,
    whole_days,
)

SESSION_UNITS = {"", "1", "session", "sessions", "{session}", "{sessions}", "visit", "visits", "{visit}",
                 "{visits}", "treatment", "treatments", "{treatment}"}


def planned_days(request: ServiceRequest) -> tuple[int | None, str | None]:
    if request.occurrencePeriod is not None:
        days = whole_days(period_days(request.occurrencePeriod.start, request.occurrencePeriod.end))
        if days:
            return days, "occurrencePeriod"
    repeat = request.occurrenceTiming.repeat if request.occurrenceTiming else None
    if repeat is None:
        return _stated_days(request) if request.occurrenceTiming is None else (None, None)
    if repeat.boundsPeriod is not None:
        days = whole_days(period_days(repeat.boundsPeriod.start, repeat.boundsPeriod.end))
        if days:
            return days, "boundsPeriod"
    bounded = whole_days(duration_days(repeat.boundsDuration))
    if bounded:
        return bounded, "boundsDuration"
    ranged = whole_days(range_days(repeat.boundsRange, "low"))
    if ranged:
        return ranged, "boundsRange"
    per_day = timing_per_day(request.occurrenceTiming)
    count = amount(repeat.count, "session count")
    counted = plausible_days(math.ceil(count / per_day), "program") if count and per_day else None
    if counted:
        return int(counted), "count"
    return None, None


def _stated_days(request: ServiceRequest) -> tuple[int | None, str | None]:
    """The length the order's own name states, when it has no Timing ('PT 2x/wk x 6 wks'). Only the name:
    details and notes state the lengths of phases, holds and reviews ('Phase 1 (2 wks)', 'reassess at 6 weeks')."""
    days = whole_days(plausible_days(longest_stated_days([order_name(request)], low=True), "program"))
    return (days, "text") if days else (None, None)


def order_name(request: ServiceRequest) -> str | None:
    """The order's name: its code's text, else its first coding's display ('PT BIW x 6 wks' as a display)."""
    code = request.code
    if code is None:
        return None
    return code.text or next((c.display for c in code.coding or [] if c.display), None)


def planned_sessions(request: ServiceRequest) -> tuple[int | None, str | None]:
    quantity = request.quantityQuantity
    value = amount(quantity.value, "session quantity") if quantity is not None else None
    if quantity is not None and value is not None:
        unit = (quantity.code or quantity.unit or "").strip().lower()
        if unit in SESSION_UNITS:
            return int(value), "quantity"
    repeat = request.occurrenceTiming.repeat if request.occurrenceTiming else None
    if repeat is None:
        return _stated_sessions(request) if request.occurrenceTiming is None else (None, None)
    count = amount(repeat.count, "session count")
    if count:
        return int(count), "count"
    per_day = timing_per_day(request.occurrenceTiming)
    days, _ = planned_days(request)
    if per_day and days:
        return int(math.floor(per_day * days + 1e-9)), "frequency"
    return None, None


def _stated_sessions(request: ServiceRequest) -> tuple[int | None, str | None]:
    """The sessions the order's name states, when it has no Timing: a count ('8-16 visits over 10-14 weeks': 8),
    else sessions a week over the stated weeks ('PT 2x/wk x 6 wks', 'PT BIW x 8 weeks')."""
    count = stated_sessions(order_name(request))
    if count:
        return count, "text"
    per_week = stated_sessions_per_week(order_name(request))
    days, _ = _stated_days(request)
    return (int(math.floor(per_week * days / 7 + 1e-9)), "text") if per_week and days else (None, None)


def sessions_per_day(repeat: Any) -> float | None:
    frequency, period = amount(repeat.frequency, "frequency"), amount(repeat.period, "period")
    if not frequency or not period:
        return None
    per_unit = unit_days(repeat.periodUnit)
    if not per_unit:
        return None
    return frequency / (period * per_unit)


def timing_per_day(timing: Any) -> float | None:
    """Sessions a day of a Timing: its repeat's frequency over its period, else its code's ('QOD': 0.5)."""
    if timing is None:
        return None
    return (sessions_per_day(timing.repeat) if timing.repeat is not None else None) or per_day_of_code(timing.code)


def plan_start(request: ServiceRequest) -> Any:
    """When the program starts: its period's start, else its Timing bounds', else when it is to occur or was written."""
    if request.occurrencePeriod is not None:
        return to_date(request.occurrencePeriod.start)
    repeat = request.occurrenceTiming.repeat if request.occurrenceTiming else None
    if repeat is not None and repeat.boundsPeriod is not None:
        return to_date(repeat.boundsPeriod.start)
    return to_date(request.occurrenceDateTime or request.authoredOn)
