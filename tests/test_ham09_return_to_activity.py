"""HAM-09: return to full activity ordered while sport-specific movement still hurts.

Program length is not a gate (the guideline makes pain-free sport movement the condition): a pain-free,
graded return after a short program gets no card."""

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
        assert finding.observed["sport_pain"] == sport_pain


@pytest.mark.parametrize("days", [20, 42, 83, 84, 89, 90, 120])
def test_a_pain_free_return_is_not_judged_on_program_length(days: int) -> None:
    assert return_to_activity_too_early(
        facts(**rehab(days), activity_clearances=(clearance(),), pain_scores=(pain(1, 0, sport=True),)), T) is None


def test_the_most_recent_sport_rating_decides() -> None:
    scores = (pain(10, 4, sport=True), pain(2, 0, sport=True))
    assert return_to_activity_too_early(facts(**rehab(120), activity_clearances=(clearance(),),
                                              pain_scores=scores), T) is None
    worse = (pain(10, 0, sport=True), pain(2, 3, sport=True))
    finding = return_to_activity_too_early(facts(**rehab(120), activity_clearances=(clearance(),),
                                                 pain_scores=worse), T)
    assert finding is not None and finding.observed["sport_pain"] == 3


def test_pain_not_rated_during_sport_movement_is_not_used() -> None:
    scores = (pain(1, 5), pain(2, 0, sport=True))
    assert return_to_activity_too_early(facts(**rehab(120), activity_clearances=(clearance(),),
                                              pain_scores=scores), T) is None


def test_the_card_states_only_what_was_recorded() -> None:
    finding = return_to_activity_too_early(
        facts(**rehab(40), activity_clearances=(clearance(),), pain_scores=(pain(1, 3, sport=True),)), T)
    assert set(finding.observed) == {"order", "sport_pain", "sport_pain_date"}
    assert finding.observed["sport_pain"] == 3 and finding.observed["sport_pain_date"]


def test_draft_order_gets_a_delete_fix_and_a_recorded_clearance_none() -> None:
    hurts = (pain(1, 4, sport=True),)
    draft = return_to_activity_too_early(facts(**rehab(40), activity_clearances=(clearance(),), pain_scores=hurts), T)
    assert [(f.action, f.target_ref) for f in draft.fixes] == [("delete", "ServiceRequest/rts-1")]
    recorded = return_to_activity_too_early(facts(**rehab(40), activity_clearances=(clearance(draft=False),),
                                                  pain_scores=hurts), T)
    assert recorded is not None and recorded.fixes == ()


def test_an_ended_program_is_judged_on_pain_too() -> None:
    assert return_to_activity_too_early(facts(**ended_program(60, 12), activity_clearances=(clearance(),)), T) is None
    hurts = (pain(1, 2, sport=True),)
    assert return_to_activity_too_early(facts(**ended_program(60, 12), activity_clearances=(clearance(),),
                                              pain_scores=hurts), T) is not None


def test_exclusion_no_clearance() -> None:
    assert return_to_activity_too_early(facts(**rehab(20), pain_scores=(pain(1, 8, sport=True),)), T) is None


def test_no_card_when_pain_with_sport_movement_is_not_recorded() -> None:
    assert return_to_activity_too_early(facts(activity_clearances=(clearance(),)), T) is None
    assert return_to_activity_too_early(facts(**rehab(20), activity_clearances=(clearance(),)), T) is None
