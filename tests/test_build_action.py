"""build_action gives the same action whether or not the drafts' parsed models are shared across fixes."""

from __future__ import annotations

from typing import Any

from cards.findings import Fix
from fhir_mappings.order_edits import build_action
from tests.builders import PATIENT_ID, pt_order, weekly

SUBJECT = f"Patient/{PATIENT_ID}"


def test_a_shared_parse_memo_gives_the_same_actions_and_leaves_the_draft_alone() -> None:
    draft = pt_order("pt-1", **weekly(4, 2))
    drafts = {"ServiceRequest/pt-1": draft}
    before = pt_order("pt-1", **weekly(4, 2))
    fixes = [Fix(action="update", target_ref="ServiceRequest/pt-1", change={"program_weeks": 13}),
             Fix(action="update", target_ref="ServiceRequest/pt-1", change={"add_order_detail": ["Nordic curls"]}),
             Fix(action="update", target_ref="ServiceRequest/unknown", change={"program_weeks": 13}),
             Fix(action="delete", target_ref="ServiceRequest/pt-1")]
    memo: dict[str, Any] = {}
    shared = [build_action(fix, "d", drafts, SUBJECT, memo) for fix in fixes]
    alone = [build_action(fix, "d", drafts, SUBJECT) for fix in fixes]
    assert shared == alone and shared[0] is not None and shared[2] is None
    assert shared[0]["resource"] is not shared[1]["resource"]  # each suggestion carries its own copy
    assert list(memo) == ["ServiceRequest/pt-1"]
    assert draft == before


def test_a_draft_with_an_integer_beyond_64_bits_is_still_copied_and_edited() -> None:
    draft = {**pt_order("pt-1", **weekly(4, 2)), "localSequence": 2**70}  # a member no criterion reads
    action = build_action(Fix(action="update", target_ref="ServiceRequest/pt-1", change={"program_weeks": 13}),
                          "d", {"ServiceRequest/pt-1": draft}, SUBJECT, {})
    assert action is not None
    assert action["resource"]["localSequence"] == 2**70
    assert action["resource"]["occurrenceTiming"]["repeat"]["boundsDuration"]["value"] == 13
    assert draft["occurrenceTiming"]["repeat"]["boundsDuration"]["value"] == 4
