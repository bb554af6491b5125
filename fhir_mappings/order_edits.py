"""Turns a Fix (a change in clinical words) into a CDS Hooks action on a draft FHIR order.

An update carries the whole draft resource, same id, with only the fixed element changed; it is
edited in the form the order already uses (period end, Timing bounds, count or quantity), so the
EHR shows the clinician's own order with one value changed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from cards.findings import Fix
from fhir_mappings.parse import parse
from fhir_mappings.therapy import planned_days, planned_sessions, sessions_per_day
from fhir_mappings.timeutil import to_date

UCUM = "http://unitsofmeasure.org"
# An editor changes the draft copy in place, reading the parsed original; False if it cannot.
Editor = Callable[[dict[str, Any], Any, Any], bool]


def build_action(fix: Fix, description: str, drafts: Mapping[str, dict[str, Any]],
                 subject_ref: str) -> dict[str, Any] | None:
    """The action for one fix, or None when the fix cannot be expressed on this order."""
    if fix.action == "update":
        original = drafts.get(fix.target_ref or "")
        if original is None:
            return None
        request = parse(original, subject_ref)
        edited = copy.deepcopy(original)
        for change, value in fix.change.items():
            editor = EDITORS.get(change)
            if request is None or editor is None or not editor(edited, request, value):
                return None
        return {"type": "update", "description": description, "resource": edited}
    if fix.action == "delete" and fix.target_ref in drafts:
        return {"type": "delete", "description": description, "resourceId": fix.target_ref}
    return None


def set_program_weeks(resource: dict[str, Any], request: Any, weeks: int) -> bool:
    days = weeks * 7
    _, form = planned_days(request)
    timing = resource.get("occurrenceTiming")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if form == "occurrencePeriod":
        return _set_period_end(resource["occurrencePeriod"], days)
    if form == "boundsPeriod":
        return _set_period_end(repeat["boundsPeriod"], days)
    if form == "count":
        per_day = sessions_per_day(request.occurrenceTiming.repeat)
        repeat["count"] = max(int(repeat["count"]), math.ceil(per_day * days - 1e-9))
        return True
    if isinstance(repeat, dict):
        for choice in ("boundsPeriod", "boundsRange"):
            repeat.pop(choice, None)
        repeat["boundsDuration"] = _weeks(weeks)
        return True
    start = resource.get("occurrenceDateTime")
    if start and to_date(start):
        resource.pop("occurrenceDateTime")
        resource["occurrencePeriod"] = {"start": start, "end": (to_date(start) + timedelta(days=days - 1)).isoformat()}
        return True
    if "occurrencePeriod" in resource or timing is not None:
        return False
    resource["occurrenceTiming"] = {"repeat": {"boundsDuration": _weeks(weeks)}}
    return True


def set_sessions(resource: dict[str, Any], request: Any, sessions: int) -> bool:
    _, form = planned_sessions(request)
    if form == "quantity":
        resource["quantityQuantity"]["value"] = sessions
        return True
    repeat = (resource.get("occurrenceTiming") or {}).get("repeat")
    if form == "count":
        repeat["count"] = sessions
        return True
    if form == "frequency":
        per_day = sessions_per_day(request.occurrenceTiming.repeat)
        return set_program_weeks(resource, request, math.ceil(sessions / per_day / 7 - 1e-9))
    return False


def _set_period_end(period: dict[str, Any], days: int) -> bool:
    start = to_date(period.get("start"))
    if start is None:
        return False
    period["end"] = (start + timedelta(days=days - 1)).isoformat()
    return True


def _weeks(weeks: int) -> dict[str, Any]:
    return {"value": weeks, "unit": "weeks", "system": UCUM, "code": "wk"}


EDITORS: dict[str, Editor] = {"program_weeks": set_program_weeks, "sessions": set_sessions}
