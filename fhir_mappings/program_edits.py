"""Editors of a draft therapy order (order_edits.EDITORS): its program length, its sessions, their weekly
frequency and its exercise details. Each edits the form the order already uses (period end, Timing bounds,
count or quantity) and only ever moves a value toward the guideline: a program is never shortened,
sessions never taken away, a detail added once."""

from __future__ import annotations

import math
from typing import Any

from fhir_mappings.editing import set_period_end, weeks_duration
from fhir_mappings.program_plan import order_name, planned_days, planned_sessions, timing_per_day
from fhir_mappings.session_rates import stated_sessions_per_week, with_rate, with_sessions
from fhir_mappings.stated_durations import lengthened
from fhir_mappings.timeutil import days_after, to_date


def set_program_weeks(resource: dict[str, Any], request: Any, weeks: int) -> bool:
    days = weeks * 7
    current, form = planned_days(request)
    if current is not None and current >= days:
        return True  # already as long: a program is never shortened
    timing = resource.get("occurrenceTiming")
    repeat: Any = timing.get("repeat") if isinstance(timing, dict) else None
    if form == "text":  # the order's name states its length: say the new one there (a display: as the text),
        # and only there: a Timing added beside it would hide the sessions a week the name states (HAM-02)
        resource["code"]["text"] = lengthened(order_name(request) or "", days, f"{weeks} weeks")
        return True
    if form == "occurrencePeriod":
        return set_period_end(resource["occurrencePeriod"], days)
    if form == "boundsPeriod":
        return set_period_end(repeat["boundsPeriod"], days)
    if form == "count":
        per_day = timing_per_day(request.occurrenceTiming)
        if per_day is None:
            return False
        repeat["count"] = max(int(repeat["count"]), math.ceil(per_day * days - 1e-9))
        return True
    if isinstance(repeat, dict):
        for choice in ("boundsPeriod", "boundsRange"):
            repeat.pop(choice, None)
        repeat["boundsDuration"] = weeks_duration(weeks)
        return True
    start = resource.get("occurrenceDateTime")
    first_day = to_date(start)
    last_day = days_after(first_day, days - 1) if first_day is not None else None
    if last_day is not None:
        resource.pop("occurrenceDateTime")
        resource["occurrencePeriod"] = {"start": start, "end": last_day.isoformat()}
        return True
    if "occurrencePeriod" in resource or timing is not None:
        return False
    resource["occurrenceTiming"] = {"repeat": {"boundsDuration": weeks_duration(weeks)}}
    return True


def set_sessions(resource: dict[str, Any], request: Any, sessions: int) -> bool:
    current, form = planned_sessions(request)
    if current is not None and current >= sessions:
        return True  # already as many: sessions are never taken away
    if form == "quantity":
        resource["quantityQuantity"]["value"] = sessions
        return True
    repeat: Any = (resource.get("occurrenceTiming") or {}).get("repeat")
    if form == "count":
        repeat["count"] = sessions
        return True
    if form == "frequency":
        per_day = timing_per_day(request.occurrenceTiming)
        return per_day is not None and set_program_weeks(resource, request, math.ceil(sessions / per_day / 7 - 1e-9))
    if form == "text":  # the order's name states them: its count rewritten, else weeks added at its rate
        name = order_name(request) or ""
        counted = with_sessions(name, sessions)
        if counted is not None:
            resource["code"]["text"] = counted
            return True
        per_week = stated_sessions_per_week(name)
        return per_week is not None and per_week > 0 \
            and set_program_weeks(resource, request, math.ceil(sessions / per_week - 1e-9))
    return False


def set_sessions_per_week(resource: dict[str, Any], request: Any, per_week: int) -> bool:
    """Raise a weekly frequency to `per_week` sessions, over the same weeks (never lowers it)."""
    if planned_sessions(request)[1] == "text":
        return _text_sessions_per_week(resource, request, per_week)
    timing: Any = resource.get("occurrenceTiming") or {}
    repeat: Any = timing.get("repeat")
    per_day = timing_per_day(request.occurrenceTiming)
    if not isinstance(repeat, dict) or per_day is None:
        return False
    if per_day * 7 >= per_week - 1e-9:
        return True
    repeat.update({"frequency": per_week, "period": 1, "periodUnit": "wk"})
    timing.pop("code", None)  # a code ('QOD') would say the frequency raised
    return True


def _text_sessions_per_week(resource: dict[str, Any], request: Any, per_week: int) -> bool:
    """The order's name states its sessions: its rate rewritten ('PT q2 weeks x 12 weeks' -> 'PT 1x/wk x 12
    weeks'), or its count to what `per_week` gives over its weeks ('8 visits over 12 weeks' -> '12 visits')."""
    name, (days, _) = order_name(request) or "", planned_days(request)
    if (stated_sessions_per_week(name) or 0) >= per_week - 1e-9:
        return True
    rewritten = with_rate(name, per_week)
    if rewritten is None and days:
        rewritten = with_sessions(name, math.floor(per_week * days / 7 + 1e-9))
    if rewritten is None:
        return False
    resource["code"]["text"] = rewritten
    return True


def add_order_detail(resource: dict[str, Any], request: Any, details: list[str]) -> bool:
    """Append exercise prescriptions to orderDetail (R4 CodeableConcept with text)."""
    existing = resource.setdefault("orderDetail", [])
    present = {d.get("text") for d in existing if isinstance(d, dict)}
    existing.extend({"text": text} for text in details if text not in present)
    return bool(details)
