"""HAM-01 (program under 3 months) and HAM-02 (under 12 supervised sessions): below, at, above."""

from __future__ import annotations

from datetime import date

import pytest

from cards.config import load_guideline
from cards.facts import ClinicalFacts, HamstringInjury, TherapyPlan, TherapySessions
from cards.rules import ham01_program_duration as ham01
from cards.rules import ham02_supervised_sessions as ham02
from tests.builders import AS_OF

GUIDELINE = load_guideline()
T01 = GUIDELINE.thresholds["HAM-01"]
T02 = GUIDELINE.thresholds["HAM-02"]
INJURY = (HamstringInjury(ref="Condition/c", label="Hamstring strain"),)


def facts(plans: tuple[TherapyPlan, ...] = (), sessions: tuple[date, ...] = (), ended: bool = False,
          hook: str = "order-sign") -> ClinicalFacts:
    return ClinicalFacts(as_of=AS_OF, hook=hook, age_years=35, hamstring_injuries=INJURY, therapy_plans=plans,
                         therapy_sessions=TherapySessions(dates=sessions), program_ended=ended)


def plan(days: int | None = None, sessions: int | None = None, draft: bool = True, status: str = "draft"):
    return TherapyPlan(ref="ServiceRequest/pt-1", is_draft=draft, status=status, planned_days=days,
                       planned_sessions=sessions)


@pytest.mark.parametrize(("days", "fires"), [(89, True), (90, False), (91, False), (1, True)])
def test_ham01_threshold(days: int, fires: bool) -> None:
    finding = ham01.program_too_short(facts((plan(days=days),)), T01)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"program_days": days, "basis": "planned"}
        assert finding.fixes[0].change == {"program_weeks": T01.suggested_program_weeks}


def test_ham01_unknown_duration_is_no_card() -> None:
    assert ham01.program_too_short(facts((plan(days=None),)), T01) is None


def test_ham01_recorded_active_plan_on_patient_view_has_no_fix() -> None:
    finding = ham01.program_too_short(facts((plan(days=30, draft=False, status="active"),), hook="patient-view"), T01)
    assert finding is not None and finding.fixes == ()


def test_ham01_ended_program_judged_on_delivered_span() -> None:
    short = (date(2026, 8, 1), date(2026, 9, 1))
    assert ham01.program_too_short(facts(sessions=short, ended=True), T01).observed["basis"] == "delivered"
    assert ham01.program_too_short(facts(sessions=short, ended=False), T01) is None
    long = (date(2026, 5, 1), date(2026, 7, 29))  # 90 days counting both ends
    assert ham01.program_too_short(facts(sessions=long, ended=True), T01) is None


def test_ham01_completed_plan_is_not_a_current_plan() -> None:
    assert ham01.program_too_short(facts((plan(days=30, draft=False, status="completed"),)), T01) is None


@pytest.mark.parametrize(("sessions", "fires"), [(11, True), (12, False), (13, False), (0, True)])
def test_ham02_threshold(sessions: int, fires: bool) -> None:
    finding = ham02.too_few_supervised_sessions(facts((plan(sessions=sessions),)), T02)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed["sessions"] == sessions
        assert finding.fixes[0].change == {"sessions": 12}


def test_ham02_delivered_sessions_of_an_ended_program() -> None:
    days = tuple(date(2026, 9, d) for d in range(1, 12))  # 11 sessions
    assert ham02.too_few_supervised_sessions(facts(sessions=days, ended=True), T02).observed == {
        "sessions": 11, "basis": "delivered"}
    assert ham02.too_few_supervised_sessions(facts(sessions=days + (date(2026, 9, 20),), ended=True), T02) is None
    assert ham02.too_few_supervised_sessions(facts(sessions=days, ended=False), T02) is None
