"""What the editors of a draft order share (program_edits.py, course_edits.py): their signature, UCUM
durations, ending a period, and the fields an edit could not bring in line, for the clinician to change
by hand (the suggestion's description names them: order_edits.build_action)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from fhir_mappings.timeutil import days_after, to_date, to_datetime

UCUM = "http://unitsofmeasure.org"
# An editor changes the draft copy in place, reading the parsed original; False if it cannot.
Editor = Callable[[dict[str, Any], Any, Any], bool]
# Fields an edit could not bring in line (a stated duration in a form not read, a quantity not worked out):
# the suggestion's description names them for the clinician to change by hand.
fields_by_hand: ContextVar[list[str] | None] = ContextVar("order_fields_by_hand", default=None)


def report_by_hand(fields: list[str]) -> None:
    """Add `fields` to those the suggestion being built names for a change by hand (each once)."""
    found = fields_by_hand.get()
    if found is not None:
        found.extend(f for f in fields if f not in found)


def set_period_end(period: dict[str, Any], days: int, hours: int | None = None) -> bool:
    """End the period after `days` calendar days counting its first; after `hours` when given and the
    start has a time of day (the period then runs the time between its ends: timeutil.period_days)."""
    moment = to_datetime(period.get("start")) if hours is not None else None
    if moment is not None and hours is not None:
        period["end"] = (moment + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
        return True
    start = to_date(period.get("start"))
    end = days_after(start, days - 1) if start is not None else None
    if end is None:
        return False
    period["end"] = end.isoformat()
    return True


def weeks_duration(weeks: int) -> dict[str, Any]:
    return {"value": weeks, "unit": "weeks", "system": UCUM, "code": "wk"}


def days_duration(days: int) -> dict[str, Any]:
    return {"value": days, "unit": "days", "system": UCUM, "code": "d"}


def hours_duration(hours: int) -> dict[str, Any]:
    return {"value": hours, "unit": "hours", "system": UCUM, "code": "h"}
