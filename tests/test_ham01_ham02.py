"""HAM-01 (program under 3 months) and HAM-02 (under 12 supervised sessions): below, at, above, for an order
on its own and for the whole program a continuation belongs to (cards/program.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cards.config import load_guideline
from cards.facts import ClinicalFacts, HamstringInjury, TherapyPlan, TherapySessions
from cards.program import delivered_block, program_of
from cards.rules import ham01_program_duration as ham01
from cards.rules import ham02_supervised_sessions as ham02
from tests.builders import AS_OF

GUIDELINE = load_guideline()
T01 = GUIDELINE.thresholds["HAM-01"]
T02 = GUIDELINE.thresholds["HAM-02"]
INJURY = (HamstringInjury(ref="Condition/c", label="Hamstring strain"),)


def facts(plans: tuple[TherapyPlan, ...] = (), sessions: tuple[date, ...] = (), ended: bool = False,
          hook: str = "order-sign", injuries: tuple[HamstringInjury, ...] = INJURY) -> ClinicalFacts:
    return ClinicalFacts(as_of=AS_OF, hook=hook, age_years=35, hamstring_injuries=injuries, therapy_plans=plans,
                         therapy_sessions=TherapySessions(dates=tuple(sorted(sessions))), program_ended=ended)


def plan(days: int | None = None, sessions: int | None = None, draft: bool = True, status: str = "draft",
         **more: object) -> TherapyPlan:
    return TherapyPlan(ref=str(more.pop("ref", "ServiceRequest/pt-1")), is_draft=draft, status=status,
                       planned_days=days, planned_sessions=sessions, **more)  # type: ignore[arg-type]


def weekly(first: date, count: int, every_days: int = 7) -> tuple[date, ...]:
    return tuple(first + timedelta(days=every_days * i) for i in range(count))


def days_ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


# HAM-01, an order on its own -----------------------------------------------------------------------

@pytest.mark.parametrize(("days", "fires"), [(83, True), (84, False), (85, False), (1, True), (90, False)])
def test_ham01_threshold(days: int, fires: bool) -> None:
    finding = ham01.program_too_short(facts((plan(days=days),)), T01)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"program_days": days, "basis": "planned"}
        assert finding.fixes[0].change == {"program_weeks": 12} and finding.fixes[0].text_key == "default"


def test_twelve_weeks_is_three_months() -> None:
    assert T01.min_program_days == 84 and T01.suggested_program_weeks == 12
    assert ham01.program_too_short(facts((plan(days=12 * 7),)), T01) is None


def test_ham01_unknown_duration_is_no_card() -> None:
    assert ham01.program_too_short(facts((plan(days=None),)), T01) is None


def test_ham01_recorded_active_plan_on_patient_view_has_no_fix() -> None:
    finding = ham01.program_too_short(facts((plan(days=30, draft=False, status="active"),), hook="patient-view"), T01)
    assert finding is not None and finding.fixes == ()


@pytest.mark.parametrize(("span_days", "fires"), [(83, True), (84, False), (85, False)])
def test_ham01_ended_program_judged_on_delivered_span(span_days: int, fires: bool) -> None:
    first = date(2026, 6, 1)
    sessions = (*weekly(first, 12), first + timedelta(days=span_days - 1))
    finding = ham01.program_too_short(facts(sessions=sessions, ended=True), T01)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed == {"program_days": span_days, "basis": "delivered"}
    assert ham01.program_too_short(facts(sessions=sessions, ended=False), T01) is None


def test_ham01_ended_program_is_its_last_run_of_sessions_not_a_program_years_before() -> None:
    old = weekly(date(2024, 3, 1), 14)  # a full program for an earlier injury
    recent = weekly(date(2026, 9, 1), 6)  # 36 days, ended
    assert ham01.program_too_short(facts(sessions=old + recent, ended=True), T01).observed["program_days"] == 36


def test_ham01_completed_plan_is_not_a_current_plan() -> None:
    assert ham01.program_too_short(facts((plan(days=30, draft=False, status="completed"),)), T01) is None


# HAM-01, a continuation: the whole program ---------------------------------------------------------

@pytest.mark.parametrize(("earlier_days", "order_days", "fires"), [
    (42, 41, True), (42, 42, False), (42, 43, False),  # 83 / 84 / 85 days in all
    (21, 28, True), (70, 14, False), (0, 83, True)])
def test_ham01_continuation_is_judged_on_the_whole_program(earlier_days: int, order_days: int, fires: bool) -> None:
    sessions = weekly(days_ago(earlier_days), -(-earlier_days // 7))  # weekly, the first `earlier_days` ago
    continuation = plan(days=order_days, start=AS_OF)
    finding = ham01.program_too_short(facts((continuation,), sessions=sessions), T01)
    assert (finding is not None) is fires
    if fires and earlier_days:
        weeks = -(-(84 - earlier_days) // 7)
        assert finding.observed == {"program_days": earlier_days + order_days, "basis": "whole",
                                    "earlier_days": earlier_days, "order_days": order_days, "order_weeks": weeks}
        assert finding.fixes[0].change == {"program_weeks": weeks}
        assert finding.fixes[0].text_key == "continuation"


def test_ham01_six_weeks_after_six_weeks_of_sessions_is_twelve_weeks() -> None:
    sessions = weekly(days_ago(42), 12, every_days=3)  # 12 sessions over the last 6 weeks
    assert ham01.program_too_short(facts((plan(days=42, sessions=12, start=AS_OF),), sessions=sessions), T01) is None


def test_ham01_continuation_fix_brings_the_whole_program_to_the_minimum() -> None:
    sessions = weekly(days_ago(21), 6, every_days=4)
    f = facts((plan(days=28, start=AS_OF),), sessions=sessions)
    weeks = ham01.program_too_short(f, T01).fixes[0].change["program_weeks"]
    assert weeks == 9  # 21 days before + 63 = 84
    assert ham01.program_too_short(facts((plan(days=weeks * 7, start=AS_OF),), sessions=sessions), T01) is None
    assert ham01.program_too_short(facts((plan(days=weeks * 7 - 1, start=AS_OF),), sessions=sessions), T01)


@pytest.mark.parametrize(("gap", "continues"), [(27, True), (28, True), (29, False), (200, False)])
def test_a_break_longer_than_the_gap_starts_a_new_program(gap: int, continues: bool) -> None:
    assert T01.continuation_gap_days == 28
    last = AS_OF - timedelta(days=gap)
    sessions = weekly(last - timedelta(days=56), 9)  # 8 weeks of sessions ending `gap` days ago
    finding = ham01.program_too_short(facts((plan(days=42, start=AS_OF),), sessions=sessions), T01)
    assert (finding is None) is continues
    if not continues:
        assert finding.observed == {"program_days": 42, "basis": "planned"}


def test_earlier_recorded_orders_of_the_program_count_without_sessions_on_record() -> None:
    block1 = plan(days=42, sessions=12, draft=False, status="completed", start=days_ago(42), ref="ServiceRequest/b1")
    assert ham01.program_too_short(facts((block1, plan(days=42, start=AS_OF))), T01) is None
    assert ham02.too_few_supervised_sessions(facts((block1, plan(days=42, sessions=6, start=AS_OF))), T02) is None
    revoked = block1.model_copy(update={"status": "revoked"})  # a stopped program lends no plan
    assert ham01.program_too_short(facts((revoked, plan(days=42, start=AS_OF))), T01) is not None


def test_a_running_order_that_outlasts_the_draft_is_the_program_end() -> None:
    running = plan(days=84, sessions=24, draft=False, status="active", start=days_ago(20), ref="ServiceRequest/b1")
    add_on = plan(days=14, sessions=4, start=AS_OF)
    assert program_of(add_on, facts((running, add_on)), 28).days == 84
    assert ham01.program_too_short(facts((running, add_on)), T01) is None


def test_stated_continuation_bridges_a_longer_break_but_not_a_new_injury() -> None:
    sessions = weekly(days_ago(100), 8)  # 7 weeks of sessions, the last 51 days ago
    said = plan(days=42, start=AS_OF, states_continuation=True)
    assert ham01.program_too_short(facts((said,), sessions=sessions), T01) is None
    unsaid = plan(days=42, start=AS_OF)
    assert ham01.program_too_short(facts((unsaid,), sessions=sessions), T01) is not None
    new_injury = (HamstringInjury(ref="Condition/c2", label="Hamstring strain", onset=days_ago(30)),)
    assert ham01.program_too_short(facts((said,), sessions=sessions, injuries=new_injury), T01) is not None


def test_evaluation_only_orders_are_not_programs() -> None:
    evaluation = plan(days=1, sessions=1, evaluation_only=True)
    assert ham01.program_too_short(facts((evaluation,)), T01) is None
    assert ham02.too_few_supervised_sessions(facts((evaluation,)), T02) is None


# HAM-02 --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sessions", "fires"), [(11, True), (12, False), (13, False), (0, True)])
def test_ham02_threshold(sessions: int, fires: bool) -> None:
    finding = ham02.too_few_supervised_sessions(facts((plan(sessions=sessions),)), T02)
    assert (finding is not None) is fires
    if fires:
        assert finding.observed["sessions"] == sessions
        assert finding.fixes[0].change == {"sessions": 12}


@pytest.mark.parametrize(("delivered", "planned", "fires"), [
    (6, 5, True), (6, 6, False), (6, 7, False), (11, 0, True), (12, 0, False), (0, 11, True), (10, 3, False)])
def test_ham02_counts_delivered_and_planned_sessions(delivered: int, planned: int, fires: bool) -> None:
    sessions = weekly(days_ago(3 * delivered), delivered, every_days=3) if delivered else ()
    finding = ham02.too_few_supervised_sessions(facts((plan(days=42, sessions=planned, start=AS_OF),),
                                                      sessions=sessions), T02)
    assert (finding is not None) is fires
    if fires and delivered:
        assert finding.observed == {"sessions": delivered + planned, "basis": "whole", "earlier_sessions": delivered,
                                    "order_sessions": planned, "order_needed": 12 - delivered}
        assert finding.fixes[0].change == {"sessions": 12 - delivered}
        assert finding.fixes[0].text_key == "continuation"


def test_ham02_a_long_enough_program_gets_more_sessions_a_week_for_what_it_lacks() -> None:
    sessions = weekly(days_ago(42), 6)  # 6 delivered over 6 weeks
    continuation = plan(days=42, sessions=3, start=AS_OF, sessions_form="frequency")  # 0.5 a week
    finding = ham02.too_few_supervised_sessions(facts((continuation,), sessions=sessions), T02)
    assert finding.fixes[0].change == {"sessions_per_week": 1} and finding.fixes[0].text_key == "frequency"


def test_ham02_sessions_still_to_come_on_a_running_order_count() -> None:
    running = plan(days=42, sessions=12, draft=False, status="active", start=days_ago(35), ref="ServiceRequest/b1")
    delivered = weekly(days_ago(35), 8, every_days=4)  # 8 of its 12 so far
    f = facts((running, plan(days=28, sessions=1, start=AS_OF)), sessions=delivered)
    assert program_of(f.therapy_plans[1], f, 28).earlier_sessions == 12  # 8 delivered and 4 to come
    assert ham02.too_few_supervised_sessions(f, T02) is None


def test_ham02_delivered_sessions_of_an_ended_program() -> None:
    days = tuple(date(2026, 9, d) for d in range(1, 12))  # 11 sessions
    assert ham02.too_few_supervised_sessions(facts(sessions=days, ended=True), T02).observed == {
        "sessions": 11, "basis": "delivered"}
    assert ham02.too_few_supervised_sessions(facts(sessions=days + (date(2026, 9, 20),), ended=True), T02) is None
    assert ham02.too_few_supervised_sessions(facts(sessions=days, ended=False), T02) is None


def test_delivered_block_reaches_through_a_completed_order_without_sessions() -> None:
    order = plan(days=60, sessions=20, draft=False, status="completed", start=date(2026, 6, 1))
    block = delivered_block(facts((order,), sessions=(date(2026, 6, 1), date(2026, 8, 20))), 28)
    assert block is not None and block.start == date(2026, 6, 1) and block.days == 81


def test_ham02_a_continuation_drafted_before_the_running_block_ends_counts_its_remaining_sessions() -> None:
    running = plan(days=42, sessions=12, draft=False, status="active", start=days_ago(36), ref="ServiceRequest/b1")
    delivered = weekly(days_ago(36), 10, every_days=3)  # 10 of its 12 so far; it ends in 5 days
    continuation = plan(days=42, sessions=0, start=AS_OF + timedelta(days=6))
    f = facts((running, continuation), sessions=delivered)
    assert program_of(continuation, f, 28).earlier_sessions == 12
    assert ham02.too_few_supervised_sessions(f, T02) is None
    assert ham01.program_too_short(f, T01) is None  # 36 + 6 + 42 days
