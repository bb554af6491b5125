"""HAM-08: no patient-reported outcome in the last 4 weeks after 4 weeks of rehab."""

from __future__ import annotations

import pytest

from cards.rules.ham08_outcome_monitoring import outcome_monitoring_missing
from tests.clinical import GUIDELINE, days_ago, draft_plan, ended_program, facts, prom, rehab

T = GUIDELINE.thresholds["HAM-08"]


@pytest.mark.parametrize(("days", "fires"), [(27, False), (28, True), (29, True)])
def test_rehab_duration_threshold(days: int, fires: bool) -> None:
    finding = outcome_monitoring_missing(facts(**rehab(days)), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"rehab_days": days, "rehab_weeks": days // 7, "last_prom": "none"}


@pytest.mark.parametrize(("prom_days_ago", "fires"), [(0, False), (27, False), (28, False), (29, True), (40, True)])
def test_prom_window_threshold(prom_days_ago: int, fires: bool) -> None:
    finding = outcome_monitoring_missing(facts(**rehab(60), outcome_scores=(prom(prom_days_ago),)), T)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed["last_prom"] == days_ago(prom_days_ago).isoformat()


def test_a_panel_without_a_score_still_counts_as_monitoring() -> None:
    assert outcome_monitoring_missing(facts(**rehab(60), outcome_scores=(prom(3, value=None),)), T) is None


def test_exclusion_not_in_rehab() -> None:
    assert outcome_monitoring_missing(facts(), T) is None
    assert outcome_monitoring_missing(facts(therapy_plans=(draft_plan(),), hook="order-sign"), T) is None


def test_exclusion_program_ended() -> None:
    assert outcome_monitoring_missing(facts(**ended_program(91, 13)), T) is None


def test_therapy_before_the_injury_is_not_this_rehabilitation() -> None:
    """Sessions years before this injury's onset (another episode) do not date this rehabilitation."""
    from datetime import timedelta

    from cards.facts import HamstringInjury, TherapySessions
    from tests.clinical import days_ago

    onset = days_ago(20)
    old = tuple(days_ago(800) + timedelta(days=7 * i) for i in range(10))
    new = (days_ago(14), days_ago(7))
    injury = HamstringInjury(ref="Condition/cond-2", label="Right hamstring strain", onset=onset)
    current = facts(injuries=(injury,), therapy_sessions=TherapySessions(dates=old + new))
    assert current.rehab_start == days_ago(14) and current.rehab_days == 15
    assert outcome_monitoring_missing(current, T) is None  # 15 days of this rehab, not 800
    no_onset = facts(injuries=(injury.model_copy(update={"onset": None}),),
                     therapy_sessions=TherapySessions(dates=old + new))
    assert no_onset.rehab_start == days_ago(800)  # without an onset, nothing tells the episodes apart
