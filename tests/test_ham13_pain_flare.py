"""HAM-13: pain flare during rehab (latest pain 7+ or a rise of 3+ within 7 days)."""

from __future__ import annotations

import pytest

from cards.rules.ham13_pain_flare import pain_flare
from tests.clinical import GUIDELINE, ended_program, facts, pain, rehab

T = GUIDELINE.thresholds["HAM-13"]


@pytest.mark.parametrize(("latest", "fires"), [(6, False), (6.5, False), (7, True), (9, True)])
def test_latest_pain_threshold(latest: float, fires: bool) -> None:
    finding = pain_flare(facts(**rehab(30), pain_scores=(pain(1, latest),)), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"flare": "high", "pain": latest, "pain_date": "2026-11-22"}
        assert finding.fixes == ()


@pytest.mark.parametrize(("latest_days_ago", "fires"), [(0, True), (7, True), (8, False)])
def test_latest_rating_must_be_recent(latest_days_ago: int, fires: bool) -> None:
    assert (pain_flare(facts(**rehab(30), pain_scores=(pain(latest_days_ago, 8),)), T) is not None) is fires


@pytest.mark.parametrize(("before", "fires"), [(2, True), (1, True), (3, False), (4, False)])
def test_rise_threshold(before: float, fires: bool) -> None:
    finding = pain_flare(facts(**rehab(30), pain_scores=(pain(4, before), pain(0, 5))), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"flare": "rise", "pain": 5, "pain_date": "2026-11-23", "from_pain": before,
                                    "rise_days": 4}


@pytest.mark.parametrize(("gap_days", "fires"), [(7, True), (8, False)])
def test_rise_must_be_within_7_days(gap_days: int, fires: bool) -> None:
    scores = (pain(gap_days, 2), pain(0, 5))
    assert (pain_flare(facts(**rehab(30), pain_scores=scores), T) is not None) is fires


def test_a_fall_is_not_a_flare() -> None:
    assert pain_flare(facts(**rehab(30), pain_scores=(pain(3, 6), pain(0, 2))), T) is None


def test_exclusion_not_in_rehab() -> None:
    assert pain_flare(facts(pain_scores=(pain(0, 9),)), T) is None
    assert pain_flare(facts(**ended_program(95, 13), pain_scores=(pain(0, 9),)), T) is None


def test_no_pain_rating_is_no_card() -> None:
    assert pain_flare(facts(**rehab(30)), T) is None
