"""Turns a Fix (a change in clinical words) into a CDS Hooks action on a draft FHIR order.

An update carries the whole draft resource, same id, with only the fixed element changed; it is
edited in the form the order already uses (period end, Timing bounds, count or quantity), so the
EHR shows the clinician's own order with one value changed.

A create builds a new order from a named template in `order_templates.json` (codes as data):
`Fix(action="create", change={"order": <template>, "reason_ref": ..., "priority": ...})`. It is a draft
(status draft, intent order) with the patient as subject; any other `change` member is applied with
EDITORS (e.g. `program_weeks`), so a new order is expressed exactly as a fixed one would be.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from cards.findings import Fix
from fhir_mappings.analgesics import administrations_per_day, course_days, dose_per_administration
from fhir_mappings.parse import parse
from fhir_mappings.stated_durations import lengthened, shorten_stated
from fhir_mappings.therapy import planned_days, planned_sessions, sessions_per_day
from fhir_mappings.timeutil import days_after, duration_days, to_date, to_datetime, whole_days

log = logging.getLogger(__name__)
# Fields an edit could not bring in line (a stated duration in a form not read, a quantity not worked out):
# the suggestion's description names them for the clinician to change by hand.
_by_hand: ContextVar[list[str] | None] = ContextVar("order_fields_by_hand", default=None)
UCUM = "http://unitsofmeasure.org"
# An editor changes the draft copy in place, reading the parsed original; False if it cannot.
Editor = Callable[[dict[str, Any], Any, Any], bool]


def build_action(fix: Fix, description: str, drafts: Mapping[str, dict[str, Any]],
                 subject_ref: str, parsed: dict[str, Any] | None = None,
                 companions: Sequence[Fix] = (), by_hand: list[str] | None = None) -> dict[str, Any] | None:
    """The action for one fix, or None when the fix cannot be expressed on this order.

    `parsed`, when given, remembers each draft's parsed model and serialized JSON by reference across
    the fixes of one call (several suggestions often edit the same draft order, each its own copy).
    `companions`: the fixes other cards of the same answer suggest for the same draft, in card order. An
    update carries them all (`compose`), so accepting any of the suggestions, in any order, leaves one
    coherent order: no suggestion undoes another's edit. `by_hand`, when given, receives the fields the
    edit could not bring in line, for the description to name.
    """
    token = _by_hand.set(by_hand)
    try:
        return _action(fix, description, drafts, subject_ref, parsed, companions)
    except (ArithmeticError, ValueError, TypeError, KeyError) as exc:  # a value no edit can express
        log.warning("no suggestion for %s on %s: %s", fix.action, fix.target_ref or "a new order",
                    type(exc).__name__)
        return None
    finally:
        _by_hand.reset(token)


def _action(fix: Fix, description: str, drafts: Mapping[str, dict[str, Any]],
            subject_ref: str, parsed: dict[str, Any] | None, companions: Sequence[Fix] = ()) -> dict[str, Any] | None:
    if fix.action == "update":
        ref = fix.target_ref or ""
        original = drafts.get(ref)
        if original is None:
            return None
        parsed = {} if parsed is None else parsed
        if ref not in parsed:
            parsed[ref] = (parse(original, subject_ref), _serialized(original), {})
        sequence = [*companions] if fix in companions else [*companions, fix]
        edited = _composed(parsed[ref], original, sequence, fix, subject_ref)
        return None if edited is None else {"type": "update", "description": description, "resource": edited}
    if fix.action == "delete" and fix.target_ref in drafts:
        return {"type": "delete", "description": description, "resourceId": fix.target_ref}
    if fix.action == "create":
        return create_action(fix, description, subject_ref)
    return None


def compose(resource: dict[str, Any], request: Any, fixes: Sequence[Fix], own: Fix | None,
            subject_ref: str, left_out: list[Fix] | None = None) -> dict[str, Any] | None:
    """`resource` with every fix's change applied in turn, each reading the order as the ones before left
    it; a companion that cannot be expressed is left out (and added to `left_out`), `own` must be (else
    None). The editors only ever move a value toward the guideline (a program never shortened, sessions
    never fewer, details added once), so the result is the same whichever of the fixes' suggestions the
    clinician accepts."""
    for fix in fixes:
        before = json_copy(resource)  # kept to undo this fix; validation reads it and never changes it
        current = request if fix is fixes[0] else parse(before, subject_ref)
        for change, value in fix.change.items():
            editor = EDITORS.get(change)
            if current is None or editor is None or not editor(resource, current, value):
                if fix is own:
                    return None
                if left_out is not None:
                    left_out.append(fix)
                resource = before
                break
    return resource


def _composed(memo: tuple[Any, bytes | None, dict[tuple[int, ...], Any]], original: dict[str, Any],
              fixes: Sequence[Fix], own: Fix, subject_ref: str) -> dict[str, Any] | None:
    """`compose` of the draft with `fixes` for `own`'s suggestion, worked out once per call for all the
    suggestions that carry the same fixes (each of a draft's suggestions carries them all): the same order,
    or None when `own` is one left out; each suggestion gets its own copy, and the fields to change by hand."""
    request, serialized, compositions = memo
    key = tuple(id(fix) for fix in fixes)  # the fixes live as long as the call, and the memo with it
    if key not in compositions:
        left_out: list[Fix] = []
        by_hand: list[str] = []
        token = _by_hand.set(by_hand)
        try:
            resource = compose(_copy_of(original, serialized), request, fixes, None, subject_ref, left_out)
        finally:
            _by_hand.reset(token)
        compositions[key] = (resource, None if resource is None else _serialized(resource), left_out, by_hand)
    resource, resource_bytes, left_out, by_hand = compositions[key]
    if resource is None or any(fix is own for fix in left_out):
        return None
    _report_by_hand(by_hand)
    return _copy_of(resource, resource_bytes)


def _serialized(value: dict[str, Any]) -> bytes | None:
    """JSON bytes to copy `value` from (None when orjson cannot write it: an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None


def _copy_of(value: dict[str, Any], serialized: bytes | None) -> dict[str, Any]:
    """A deep copy of `value` from its JSON bytes (copy.deepcopy when orjson could not write them)."""
    return copy.deepcopy(value) if serialized is None else orjson.loads(serialized)  # type: ignore[no-any-return]


def json_copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of JSON data; orjson's round trip is several times faster than copy.deepcopy."""
    return _copy_of(value, _serialized(value))


ORDER_TEMPLATES_FILE = Path(__file__).with_name("order_templates.json")
CREATE_KEYS = ("order", "reason_ref", "priority")  # read by create_action; other members go to EDITORS
PRIORITIES = {"routine", "urgent", "asap", "stat"}


@cache
def order_templates() -> dict[str, dict[str, Any]]:
    return json.loads(ORDER_TEMPLATES_FILE.read_text(encoding="utf-8"))["templates"]


def create_action(fix: Fix, description: str, subject_ref: str) -> dict[str, Any] | None:
    """A new draft order from a template, for the patient; None for an unknown template or edit."""
    template = order_templates().get(str(fix.change.get("order")))
    if template is None or fix.change.get("priority", "routine") not in PRIORITIES:
        return None
    resource = {**json_copy(template), "status": "draft", "intent": "order",
                "subject": {"reference": subject_ref}}
    if fix.change.get("priority"):
        resource["priority"] = fix.change["priority"]
    if fix.change.get("reason_ref"):
        resource["reasonReference"] = [{"reference": fix.change["reason_ref"]}]
    edits = {k: v for k, v in fix.change.items() if k not in CREATE_KEYS}
    request = parse(json_copy(resource), subject_ref) if edits else None
    for change, value in edits.items():
        editor = EDITORS.get(change)
        if request is None or editor is None or not editor(resource, request, value):
            return None
    return {"type": "create", "description": description, "resource": resource}


def set_program_weeks(resource: dict[str, Any], request: Any, weeks: int) -> bool:
    days = weeks * 7
    current, form = planned_days(request)
    if current is not None and current >= days:
        return True  # already as long: a program is never shortened
    timing = resource.get("occurrenceTiming")
    repeat: Any = timing.get("repeat") if isinstance(timing, dict) else None
    if form == "text":  # the order's name states its length: say the new one there too
        resource["code"]["text"] = lengthened(resource["code"]["text"], days, f"{weeks} weeks")
    if form == "occurrencePeriod":
        return _set_period_end(resource["occurrencePeriod"], days)
    if form == "boundsPeriod":
        return _set_period_end(repeat["boundsPeriod"], days)
    if form == "count":
        per_day = sessions_per_day(request.occurrenceTiming.repeat)
        if per_day is None:
            return False
        repeat["count"] = max(int(repeat["count"]), math.ceil(per_day * days - 1e-9))
        return True
    if isinstance(repeat, dict):
        for choice in ("boundsPeriod", "boundsRange"):
            repeat.pop(choice, None)
        repeat["boundsDuration"] = _weeks(weeks)
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
    resource["occurrenceTiming"] = {"repeat": {"boundsDuration": _weeks(weeks)}}
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
        per_day = sessions_per_day(request.occurrenceTiming.repeat)
        return per_day is not None and set_program_weeks(resource, request, math.ceil(sessions / per_day / 7 - 1e-9))
    return False


def set_sessions_per_week(resource: dict[str, Any], request: Any, per_week: int) -> bool:
    """Raise a weekly frequency to `per_week` sessions, over the same weeks (never lowers it)."""
    repeat: Any = (resource.get("occurrenceTiming") or {}).get("repeat")
    parsed = request.occurrenceTiming.repeat if request.occurrenceTiming else None
    per_day = sessions_per_day(parsed) if parsed is not None else None
    if not isinstance(repeat, dict) or per_day is None:
        return False
    if per_day * 7 >= per_week - 1e-9:
        return True
    repeat.update({"frequency": per_week, "period": 1, "periodUnit": "wk"})
    return True


def _set_period_end(period: dict[str, Any], days: int, hours: int | None = None) -> bool:
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


def _weeks(weeks: int) -> dict[str, Any]:
    return {"value": weeks, "unit": "weeks", "system": UCUM, "code": "wk"}


def add_order_detail(resource: dict[str, Any], request: Any, details: list[str]) -> bool:
    """Append exercise prescriptions to orderDetail (R4 CodeableConcept with text)."""
    existing = resource.setdefault("orderDetail", [])
    present = {d.get("text") for d in existing if isinstance(d, dict)}
    existing.extend({"text": text} for text in details if text not in present)
    return bool(details)


def set_course_days(resource: dict[str, Any], request: Any, days: int) -> bool:
    """Shorten an analgesic course to `days` in the element that set its length, and the rest of the order
    with it: a dispensed quantity or supply beyond the new course, refills, and durations its text states."""
    if not _set_course_length(resource, request, days):
        return False
    dispense = resource.get("dispenseRequest")
    if isinstance(dispense, dict):
        _shorten_dispense(dispense, request, days)
    _report_by_hand(shorten_stated(resource, days, f"{days} days"))
    return True


def _report_by_hand(fields: list[str]) -> None:
    found = _by_hand.get()
    if found is not None:
        found.extend(f for f in fields if f not in found)


def _shorten_dispense(dispense: dict[str, Any], request: Any, days: int) -> None:
    """No more dispensed than the shortened course takes (a quantity that cannot be worked out is reported)."""
    if dispense.get("numberOfRepeatsAllowed"):
        dispense["numberOfRepeatsAllowed"] = 0
    supply = dispense.get("expectedSupplyDuration")
    supplied = duration_days(request.dispenseRequest.expectedSupplyDuration) if request.dispenseRequest else None
    if isinstance(supply, dict) and supplied is not None and supplied > days:
        dispense["expectedSupplyDuration"] = _days(days)
    quantity = dispense.get("quantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        per_day, dose = administrations_per_day(request), dose_per_administration(request)
        if per_day and dose:
            quantity["value"] = min(quantity["value"], math.ceil(days * per_day * dose - 1e-9))
        else:
            _report_by_hand(["dispenseRequest.quantity"])


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
        repeat["boundsDuration"] = _days(days)
    elif form == "boundsRange":
        return _set_range_high(repeat["boundsRange"], request, days)
    elif form == "boundsPeriod":
        return _set_period_end(repeat["boundsPeriod"], days)
    elif form == "expectedSupplyDuration":
        dispense["expectedSupplyDuration"] = _days(days)
    elif form == "count" and per_day:
        repeat["count"] = math.ceil(days * per_day - 1e-9)
    elif form == "quantity" and per_day and dose:
        dispense["quantity"]["value"] = math.ceil(days * per_day * dose - 1e-9)
    else:
        return False
    return True


def _set_range_high(bounds: dict[str, Any], request: Any, days: int) -> bool:
    """A range of days whose upper bound is `days` (its lower bound no longer than that)."""
    parsed = next((d.timing.repeat.boundsRange for d in request.dosageInstruction or []
                   if d.timing and d.timing.repeat and d.timing.repeat.boundsRange), None)
    low = whole_days(duration_days(parsed.low)) if parsed is not None else None
    if low is not None:
        bounds["low"] = _days(min(low, days))
    bounds["high"] = _days(days)
    return True


def limit_rest_hours(resource: dict[str, Any], request: Any, hours: int) -> bool:
    """Bound a complete-rest order to `hours`, and the durations its text states ("NWB for 2 weeks")."""
    if not _set_rest_length(resource, request, hours):
        return False
    _report_by_hand(shorten_stated(resource, hours / 24, f"{hours} hours"))
    return True


def _set_rest_length(resource: dict[str, Any], request: Any, hours: int) -> bool:
    """Bound a complete-rest order to `hours` (whole days, counting the first)."""
    days = max(1, hours // 24)
    if isinstance(resource.get("occurrencePeriod"), dict) and resource["occurrencePeriod"].get("start"):
        return _set_period_end(resource["occurrencePeriod"], days, hours)
    timing = resource.get("occurrenceTiming")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if isinstance(repeat, dict):
        if isinstance(repeat.get("boundsPeriod"), dict) and repeat["boundsPeriod"].get("start"):
            return _set_period_end(repeat["boundsPeriod"], days, hours)
        for choice in ("boundsPeriod", "boundsRange"):
            repeat.pop(choice, None)
        repeat["boundsDuration"] = {"value": hours, "unit": "hours", "system": UCUM, "code": "h"}
        return True
    if "occurrenceDateTime" in resource or "occurrencePeriod" in resource:
        return False
    resource["occurrenceTiming"] = {"repeat": {"boundsDuration": {"value": hours, "unit": "hours",
                                                                  "system": UCUM, "code": "h"}}}
    return True


def _days(days: int) -> dict[str, Any]:
    return {"value": days, "unit": "days", "system": UCUM, "code": "d"}


EDITORS: dict[str, Editor] = {"program_weeks": set_program_weeks, "sessions": set_sessions,
                              "sessions_per_week": set_sessions_per_week,
                              "add_order_detail": add_order_detail, "course_days": set_course_days,
                              "rest_hours": limit_rest_hours}
