"""Turns a Fix (a change in clinical words) into a CDS Hooks action on a draft FHIR order.

An update carries the whole draft resource, same id, with only the fixed element changed; it is
edited in the form the order already uses (period end, Timing bounds, count or quantity), so the
EHR shows the clinician's own order with one value changed.

A create builds a new order from a named template in `order_templates.json` (codes as data):
`Fix(action="create", change={"order": <template>, "reason_ref": ..., "priority": ...})`. It is a draft
(status draft, intent order) with the patient as subject; any other `change` member is applied with
EDITORS (e.g. `program_weeks`), so a new order is expressed exactly as a fixed one would be.

The editors themselves: program_edits.py (program length, sessions, frequency, details) and
course_edits.py (analgesic course, rest length).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from cards.findings import Fix
from fhir_mappings.course_edits import limit_rest_hours, set_course_days
from fhir_mappings.editing import Editor, fields_by_hand, report_by_hand
from fhir_mappings.parse import parse
from fhir_mappings.program_edits import add_order_detail, set_program_weeks, set_sessions, set_sessions_per_week

log = logging.getLogger(__name__)


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
    token = fields_by_hand.set(by_hand)
    try:
        return _action(fix, description, drafts, subject_ref, parsed, companions)
    except (ArithmeticError, ValueError, TypeError, KeyError) as exc:  # a value no edit can express
        log.warning("no suggestion for %s on %s: %s", fix.action, fix.target_ref or "a new order",
                    type(exc).__name__)
        return None
    finally:
        fields_by_hand.reset(token)


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
        token = fields_by_hand.set(by_hand)
        try:
            resource = compose(_copy_of(original, serialized), request, fixes, None, subject_ref, left_out)
        finally:
            fields_by_hand.reset(token)
        compositions[key] = (resource, None if resource is None else _serialized(resource), left_out, by_hand)
    resource, resource_bytes, left_out, by_hand = compositions[key]
    if resource is None or any(fix is own for fix in left_out):
        return None
    report_by_hand(by_hand)
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


EDITORS: dict[str, Editor] = {"program_weeks": set_program_weeks, "sessions": set_sessions,
                              "sessions_per_week": set_sessions_per_week,
                              "add_order_detail": add_order_detail, "course_days": set_course_days,
                              "rest_hours": limit_rest_hours}
