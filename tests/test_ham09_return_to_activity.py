"""HAM-09: return to full activity ordered while sport movement still hurts or before 3 months of rehab."""

from __future__ import annotations

import pytest

from cards.rules.ham09_return_to_activity import return_to_activity_too_early
from tests.clinical import GUIDELINE, clearance, ended_program, facts, pain, rehab

T = GUIDELINE.thresholds["HAM-09"]


@pytest.mark.parametrize(("sport_pain", "fires"), [(0, False), (0.5, True), (1, True), (6, True)])
def test_sport_pain_threshold(sport_pain: float, fires: bool) -> None:
    finding = return_to_activity_too_early(
        facts(**rehab(120), activity_clearances=(clearance(),), pain_scores=(pain(2, sport_pain, sport=True),)), T)
    assert (finding is not None) is fires
    if fires:
        assert "sport-specific movement still hurts" in finding.observed["reason"]


@pytest.mark.parametrize(("days", "fires"), [(89, True), (90, False), (91, False)])
def test_program_duration_threshold(days: int, fires: bool) -> None:
    finding = return_to_activity_too_early(
        facts(**rehab(days), activity_clearances=(clearance(),), pain_scores=(pain(1, 0, sport=True),)), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed["reason"] == f"rehab has run only {days} days"
        assert finding.observed["program_days"] == days


def test_the_most_recent_sport_rating_decides() -> None:
    scores = (pain(10, 4, sport=True), pain(2, 0, sport=True))
    assert return_to_activity_too_early(facts(**rehab(120), activity_clearances=(clearance(),),
                                              pain_scores=scores), T) is None


def test_pain_not_rated_during_sport_movement_is_not_used() -> None:
    scores = (pain(1, 5), pain(2, 0, sport=True))
    assert return_to_activity_too_early(facts(**rehab(120), activity_clearances=(clearance(),),
                                              pain_scores=scores), T) is None


def test_both_reasons_are_named() -> None:
    finding = return_to_activity_too_early(
        facts(**rehab(40), activity_clearances=(clearance(),), pain_scores=(pain(1, 3, sport=True),)), T)
    assert finding.observed["reason"] == "sport-specific movement still hurts (3/10) and rehab has run only 40 days"


def test_draft_order_gets_a_delete_fix_and_a_recorded_clearance_none() -> None:
    draft = return_to_activity_too_early(facts(**rehab(40), activity_clearances=(clearance(),)), T)
    assert [(f.action, f.target_ref) for f in draft.fixes] == [("delete", "ServiceRequest/rts-1")]
    recorded = return_to_activity_too_early(facts(**rehab(40), activity_clearances=(clearance(draft=False),)), T)
    assert recorded is not None and recorded.fixes == ()


def test_ended_program_is_judged_on_its_delivered_span() -> None:
    short = return_to_activity_too_early(facts(**ended_program(60, 12), activity_clearances=(clearance(),)), T)
    assert short.observed["program_days"] == 60
    assert return_to_activity_too_early(facts(**ended_program(95, 14), activity_clearances=(clearance(),)), T) is None


def test_exclusion_no_clearance() -> None:
    assert return_to_activity_too_early(facts(**rehab(20), pain_scores=(pain(1, 8, sport=True),)), T) is None


def test_no_card_when_neither_pain_nor_program_is_known() -> None:
    assert return_to_activity_too_early(facts(activity_clearances=(clearance(),)), T) is None
