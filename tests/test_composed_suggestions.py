"""The edits of a draft's suggestions are composed once per call and shared by its suggestions
(fhir_mappings/order_edits.py `_composed`): each suggestion gets what composing for it alone gives, its own copy,
None when its own edit cannot be expressed, and the fields to change by hand."""

from __future__ import annotations

import copy
from typing import Any

from cards.findings import Fix
from fhir_mappings.order_edits import build_action, compose
from fhir_mappings.parse import parse
from tests.builders import PATIENT_ID, pt_order, weekly
from tests.test_consistent_edits import naproxen

SUBJECT = f"Patient/{PATIENT_ID}"
PT, RX = "ServiceRequest/pt-1", "MedicationRequest/rx-1"


def composed_alone(draft: dict[str, Any], fixes: list[Fix], own: Fix) -> dict[str, Any] | None:
    """What one suggestion carried when each composed its draft's edits itself."""
    return compose(copy.deepcopy(draft), parse(draft, SUBJECT), fixes, own, SUBJECT)


def test_suggestions_of_one_draft_share_one_composition_and_each_gets_its_own_copy() -> None:
    draft = pt_order("pt-1", **weekly(4, 2))
    before = copy.deepcopy(draft)
    fixes = [
        Fix(action="update", target_ref=PT, change={"program_weeks": 13}),
        Fix(action="update", target_ref=PT, change={"no_such_edit": 1}),  # cannot be expressed: left out
        Fix(action="update", target_ref=PT, change={"add_order_detail": ["Nordic curls"]}),
    ]
    memo: dict[str, Any] = {}
    actions = [build_action(fix, "d", {PT: draft}, SUBJECT, memo, fixes, []) for fix in fixes]
    assert actions[1] is None and composed_alone(before, fixes, fixes[1]) is None
    for fix, action in zip(fixes[::2], actions[::2], strict=True):
        assert action is not None and action["resource"] == composed_alone(before, fixes, fix)
    first, last = actions[0]["resource"], actions[2]["resource"]  # type: ignore[index]
    assert first == last and first is not last
    assert first["occurrenceTiming"]["repeat"]["boundsDuration"]["value"] == 13
    assert any("Nordic curls" in str(detail) for detail in first["orderDetail"])
    first["status"] = "changed by the EHR"  # one suggestion's copy changed: the next one is not
    again = build_action(fixes[2], "d", {PT: draft}, SUBJECT, memo, fixes, [])
    assert again is not None and again["resource"]["status"] == "draft"
    assert draft == before and list(memo) == [PT]


def test_each_suggestion_carrying_an_edit_names_its_fields_to_change_by_hand() -> None:
    draft = naproxen(text="PO BID for 10-14 days", dose=False)  # no dose coded or in words: the quantity by hand
    fixes = [
        Fix(action="update", target_ref=RX, change={"course_days": 7}),
        Fix(action="update", target_ref=RX, change={"course_days": 5}),
    ]
    memo: dict[str, Any] = {}
    shared: list[list[str]] = [[], []]
    alone: list[list[str]] = [[], []]
    for index, fix in enumerate(fixes):
        assert build_action(fix, "d", {RX: draft}, SUBJECT, memo, fixes, shared[index]) is not None
        assert build_action(fix, "d", {RX: draft}, SUBJECT, None, fixes, alone[index]) is not None
    assert shared == alone and shared[0] == shared[1]
    assert shared[0] == ["dispenseRequest.quantity"]  # the range in the text is rewritten, not left by hand
