"""FHIR dates, periods and UCUM durations turned into plain dates and day counts.

Periods count both their first and last day (1 Jan to 31 Mar is 90 days), as a clinician reads an
order. Months and years use UCUM's mean lengths (30.4375 and 365.25 days).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any

# UCUM codes and the plain-English units EHRs send in Duration.unit or Timing.periodUnit.
DAYS_PER_UNIT: dict[str, float] = {
    "s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25,
    "second": 1 / 86400, "seconds": 1 / 86400, "minute": 1 / 1440, "minutes": 1 / 1440,
    "hour": 1 / 24, "hours": 1 / 24, "day": 1.0, "days": 1.0, "week": 7.0, "weeks": 7.0,
    "month": 30.4375, "months": 30.4375, "year": 365.25, "years": 365.25,
}


def to_date(value: Any) -> date | None:
    """A FHIR date, dateTime or instant (model value or partial string) as a date; None if unusable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 4:
        return _date_of(value[:10])
    return None


@lru_cache(maxsize=4096)
def _date_of(text: str) -> date | None:
    parts = text.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def inclusive_days(start: Any, end: Any) -> int | None:
    first, last = to_date(start), to_date(end)
    if first is None or last is None or last < first:
        return None
    return (last - first).days + 1


def unit_days(unit_code: str | None, unit_text: str | None = None) -> float | None:
    for candidate in (unit_code, unit_text):
        if candidate and candidate.strip().lower() in DAYS_PER_UNIT:
            return DAYS_PER_UNIT[candidate.strip().lower()]
    return None


def duration_days(duration: Any) -> float | None:
    """Days in a FHIR Duration/Quantity model (value with a time unit); None when not a time."""
    if duration is None or duration.value is None:
        return None
    per_unit = unit_days(getattr(duration, "code", None), getattr(duration, "unit", None))
    if per_unit is None:
        return None
    return float(duration.value) * per_unit


def whole_days(days: float | None) -> int | None:
    return None if days is None else int(math.floor(days + 1e-9))


def age_in_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
