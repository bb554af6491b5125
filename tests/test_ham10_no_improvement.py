"""HAM-10: no improvement after 2-3 weeks of conservative treatment, no specialist referral yet."""

from __future__ import annotations

import pytest

from cards.rules.ham10_no_improvement import no_improvement
from tests.clinical import GUIDELINE, facts, pain, prom, referral, rehab

T = GUIDELINE.thresholds["HAM-10"]


def started_at(days: int, first: float, latest: float, latest_days_ago: int = 0) -> dict:
    """Rehab of `days` days with a pain rating on its first day and a later one."""
    return {**rehab(days), "pain_scores": (pain(days - 1, first), pain(latest_days_ago, latest))}


@pytest.mark.parametrize(("days", "fires"), [(13, False), (14, True), (15, True), (30, True)])
def test_treatment_duration_threshold(days: int, fires: bool) -> None:
    assert (no_improvement(facts(**started_at(days, 6, 6)), T) is not None) is fires


@pytest.mark.parametrize(("latest", "fires"), [(7, True), (6, True), (5, True), (4, False), (3, False)])
def test_pain_improvement_threshold(latest: float, fires: bool) -> None:
    finding = no_improvement(facts(**started_at(21, 6, latest)), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"treatment_days": 21, "change": "pain", "before": 6, "after": latest}


def test_fix_suggests_orthopaedic_or_sports_medicine_referral() -> None:
    finding = no_improvement(facts(**started_at(21, 6, 6)), T)
    assert [(f.action, f.text_key, f.change["order"]) for f in finding.fixes] == [
        ("create", "orthopaedics", "orthopedic-service-referral"),
        ("create", "sports_medicine", "sports-medicine-referral")]
    assert all(f.change["reason_ref"] == "Condition/cond-1" for f in finding.fixes)


def test_baseline_may_be_taken_up_to_7_days_before_rehab() -> None:
    base = rehab(21)
    assert no_improvement(facts(**base, pain_scores=(pain(27, 6), pain(0, 6))), T) is not None  # 7 days before
    assert no_improvement(facts(**base, pain_scores=(pain(28, 6), pain(0, 6))), T) is None  # 8 days before


def test_latest_rating_must_be_from_day_14_of_treatment() -> None:
    base = rehab(21)  # day 1 is 20 days ago, day 14 is 7 days ago
    assert no_improvement(facts(**base, pain_scores=(pain(20, 6), pain(7, 6))), T) is not None
    assert no_improvement(facts(**base, pain_scores=(pain(20, 6), pain(8, 6))), T) is None


def test_baseline_must_be_from_before_day_14() -> None:
    assert no_improvement(facts(**rehab(30), pain_scores=(pain(10, 6), pain(0, 6))), T) is None


def test_pain_rated_during_sport_movement_is_not_compared() -> None:
    scores = (pain(20, 6, sport=True), pain(0, 6, sport=True))
    assert no_improvement(facts(**rehab(21), pain_scores=scores), T) is None


@pytest.mark.parametrize(("first", "latest", "higher_is_better", "fires"), [
    (50, 50, True, True), (50, 45, True, True), (50, 51, True, False),
    (60, 60, False, True), (60, 65, False, True), (60, 55, False, False),
])
def test_outcome_score_is_used_when_pain_is_not_rated(first: float, latest: float, higher_is_better: bool,
                                                      fires: bool) -> None:
    scores = (prom(20, first, higher_is_better=higher_is_better), prom(0, latest, higher_is_better=higher_is_better))
    finding = no_improvement(facts(**rehab(21), outcome_scores=scores), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"treatment_days": finding.observed["treatment_days"], "change": "outcome",
                                    "instrument": "Sport-recreation score [HOOS]", "before": first, "after": latest}


def test_only_the_latest_instrument_is_compared() -> None:
    scores = (prom(20, 40, instrument="HAGOS Sport"), prom(19, 50), prom(0, 50))
    assert no_improvement(facts(**rehab(21), outcome_scores=scores), T) is not None
    assert no_improvement(facts(**rehab(21), outcome_scores=(prom(20, 40, instrument="HAGOS Sport"), prom(0, 50))),
                          T) is None


def test_improved_pain_wins_over_a_flat_outcome_score() -> None:
    members = {**started_at(21, 6, 3), "outcome_scores": (prom(20, 50), prom(0, 50))}
    assert no_improvement(facts(**members), T) is None


@pytest.mark.parametrize(("surgical", "draft"), [(False, False), (False, True), (True, False)])
def test_exclusion_specialist_referral(surgical: bool, draft: bool) -> None:
    assert no_improvement(facts(**started_at(21, 6, 6), referrals=(referral(surgical, draft),)), T) is None


def test_exclusion_no_data_is_no_card() -> None:
    assert no_improvement(facts(**rehab(21)), T) is None
    assert no_improvement(facts(**rehab(21), pain_scores=(pain(0, 6),)), T) is None


def test_exclusion_not_in_rehab() -> None:
    assert no_improvement(facts(pain_scores=(pain(20, 6), pain(0, 6))), T) is None
