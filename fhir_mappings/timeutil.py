"""FHIR dates, periods and UCUM durations turned into plain dates, day and hour counts.

Periods given as dates count both their first and last day (1 Jan to 31 Mar is 90 days), as a clinician
reads an order; an end given as a month or a year includes all of it (FHIR Period: the end "includes any
matching date/time", so an order ending "2026-10" runs to 31 Oct); periods whose two ends carry a time
of day count the time between them (08:00 on 20 Nov to 08:00 on 23 Nov is 72 hours, not four calendar
days). Months and years use UCUM's mean lengths (30.4375 and 365.25 days). A Range bound is read for the
check at hand: the lower bound decides whether a minimum is met ("4-6 weeks" may be 4), the upper bound
whether a maximum is exceeded.

Absurd values are unusable, read as absent and logged once each: a date outside PLAUSIBLE_YEARS, a
negative or non-finite amount, a duration longer than MAX_PLAUSIBLE_DAYS (a century: longer than any
order is meant to run, and beyond it date arithmetic overflows). No card quotes them and no fix edits them.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

# UCUM codes and the plain-English units EHRs send in Duration.unit or Timing.periodUnit.
DAYS_PER_UNIT: dict[str, float] = {
    "s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25,
    "second": 1 / 86400, "seconds": 1 / 86400, "minute": 1 / 1440, "minutes": 1 / 1440,
    "hour": 1 / 24, "hours": 1 / 24, "day": 1.0, "days": 1.0, "week": 7.0, "weeks": 7.0,
    "month": 30.4375, "months": 30.4375, "year": 365.25, "years": 365.25,
}
PLAUSIBLE_YEARS = (1900, 2200)  # dates outside are data errors (9999-12-31 placeholders, typos)
MAX_PLAUSIBLE_DAYS = 36525.0  # a century
_LOGGED_LIMIT = 1024
_logged: set[tuple[str, str]] = set()
_logged_lock = threading.Lock()


def unusable(kind: str, value: Any, why: str) -> None:
    """Log, once per distinct value, that `value` (a `kind`, e.g. 'date') is read as absent, and why."""
    shown = str(value)[:40]
    with _logged_lock:
        if (kind, shown) in _logged:
            return
        if len(_logged) >= _LOGGED_LIMIT:
            _logged.clear()
        _logged.add((kind, shown))
    log.warning("unusable %s %r read as absent: %s", kind, shown, why)


def is_plausible_date(day: date) -> bool:
    return PLAUSIBLE_YEARS[0] <= day.year <= PLAUSIBLE_YEARS[1]


def to_date(value: Any) -> date | None:
    """A FHIR date, dateTime or instant (model value or partial string) as a date; None if unusable."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if is_plausible_date(value):
            return value
        unusable("date", value, f"outside the years {PLAUSIBLE_YEARS[0]}-{PLAUSIBLE_YEARS[1]}")
        return None
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
        found = date(year, month, day)
    except (ValueError, IndexError):
        return None
    return to_date(found)


def to_datetime(value: Any) -> datetime | None:
    """A dateTime or instant that carries a time of day (model value or string); None for a bare date."""
    if isinstance(value, str) and "T" in value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime) and to_date(value) is not None:
        return value
    return None


def to_end_date(value: Any) -> date | None:
    """The last day a period's end includes: a partial date ('2026-10', '2026') is the end of its month or
    year; any other value as `to_date`."""
    if isinstance(value, str) and len(value) in (4, 7) and "T" not in value:
        first = _date_of(value)
        if first is None:
            return None
        following = date(first.year + 1, 1, 1) if len(value) == 4 or first.month == 12 \
            else date(first.year, first.month + 1, 1)
        return to_date(following - timedelta(days=1))
    return to_date(value)


def inclusive_days(start: Any, end: Any) -> int | None:
    """Calendar days from `start` to `end`, both counted (a partial end includes all of its month or year);
    None when either is unusable or end is first."""
    first, last = to_date(start), to_end_date(end)
    if first is None or last is None or last < first:
        return None
    days = (last - first).days + 1
    return days if plausible_days(days, "period") is not None else None


def period_days(start: Any, end: Any) -> float | None:
    """How long a period runs, in days: the time between its ends when both carry a time of day (72 hours
    is 3.0), else calendar days counting both ends. None when unusable, reversed or of no length."""
    first, last = to_datetime(start), to_datetime(end)
    if first is None or last is None:
        return inclusive_days(start, end)
    if (first.tzinfo is None) != (last.tzinfo is None):  # one end without a zone: read both as local time
        first, last = first.replace(tzinfo=None), last.replace(tzinfo=None)
    seconds = (last - first).total_seconds()
    if seconds <= 0:
        if seconds < 0:
            unusable("period", f"{start}/{end}", "ends before it starts")
        return None
    return plausible_days(seconds / 86400, "period")


def plausible_days(days: float | None, kind: str) -> float | None:
    """`days` when it is a usable length of time; None (logged) when negative, not finite or beyond a century."""
    if days is None:
        return None
    if not math.isfinite(days) or days < 0:
        unusable(kind, days, "negative or not a number")
        return None
    if days > MAX_PLAUSIBLE_DAYS:
        unusable(kind, days, f"longer than {MAX_PLAUSIBLE_DAYS:g} days")
        return None
    return days


def amount(value: Any, kind: str = "amount") -> float | None:
    """A FHIR decimal or integer as a finite, non-negative float; None (logged) otherwise."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(Decimal(str(value)))
    except (InvalidOperation, ValueError, OverflowError):
        unusable(kind, value, "not a number")
        return None
    if not math.isfinite(number) or number < 0 or abs(number) >= 2**63:
        unusable(kind, value, "negative, not finite or beyond 64 bits")
        return None
    return number


def unit_days(unit_code: str | None, unit_text: str | None = None) -> float | None:
    for candidate in (unit_code, unit_text):
        if isinstance(candidate, str) and candidate.strip().lower() in DAYS_PER_UNIT:
            return DAYS_PER_UNIT[candidate.strip().lower()]
    return None


def duration_days(duration: Any) -> float | None:
    """Days in a FHIR Duration/Quantity model (value with a time unit); None when not a usable time."""
    if duration is None or duration.value is None:
        return None
    per_unit = unit_days(getattr(duration, "code", None), getattr(duration, "unit", None))
    if per_unit is None:
        return None
    value = amount(duration.value, "duration")
    return None if value is None else plausible_days(value * per_unit, "duration")


def range_days(bounds: Any, bound: str) -> float | None:
    """Days in a Range of times: `bound` 'low' for a minimum check, 'high' for a maximum check, the other
    bound when that one is missing (a range 'at least 8 days' exceeds 7 days; 'up to 4 weeks' is short)."""
    if bounds is None:
        return None
    chosen = getattr(bounds, bound, None)
    if chosen is None:  # only a missing bound gives way to the other; an unusable one makes the range so
        chosen = getattr(bounds, "high" if bound == "low" else "low", None)
    return duration_days(chosen)


def whole_days(days: float | None) -> int | None:
    return None if days is None else int(math.floor(days + 1e-9))


def days_after(start: date, days: float) -> date | None:
    """The date `days` after `start`; None (logged) when it falls outside the plausible years."""
    try:
        return to_date(start + timedelta(days=days))
    except OverflowError:
        unusable("date", f"{start}+{days}d", "beyond the calendar")
        return None


def age_in_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
