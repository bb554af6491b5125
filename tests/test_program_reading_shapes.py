"""How a physical-therapy program's shape is read: one test per class of error, on the mapper that makes it.
Whole requests for each case are scenario fixtures (tests/fixtures/hooks/: 'Continue PT 2x/wk x 6 more wks',
'PT q2 weeks x 12 weeks', Timing.code QD, an order on hold for pain, 'Weigh pt weekly').

- a length or count said with 'more', 'additional', 'further', 'extra' between number and unit ('x 6 more wks',
  '6 additional visits') is the order's own; a fix rewriting it keeps the word ('x 12 more weeks');
- sessions at an interval of weeks ('q2 weeks', 'every other week', 'weekly', 'fortnightly') are a rate, a
  fraction of one a week when the interval is longer; sessions are the whole ones the weeks hold (floor); an
  interval timing a review ('reassess every 2 weeks') is not the sessions';
- a Timing given as a code (GTSAbbreviation QD, BID, QOD) has the frequency the analgesic table gives it;
- a recorded order on hold because of pain is stopped for pain (HAM-07), one on hold for insurance is not;
- 'pt' after a nursing action ('Weigh pt weekly', 'Ambulate pt 3x daily') is the patient, not physical therapy.
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cards.facts import TherapyPlan
from fhir_mappings.order_text import is_physical_therapy
from fhir_mappings.parse import parse
from fhir_mappings.program_edits import set_sessions, set_sessions_per_week
from fhir_mappings.program_plan import planned_days, planned_sessions
from fhir_mappings.record import Read
from fhir_mappings.session_rates import stated_sessions, stated_sessions_per_week
from fhir_mappings.stated_durations import lengthened, longest_stated_days, shortened
from fhir_mappings.therapy import program_ended, therapy_plan
from tests import builders as b

GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"


def named(text: str, **extra: Any) -> dict[str, Any]:
    return {**b.pt_order(**extra), "code": {"text": text}}


def model(raw: dict[str, Any]) -> ServiceRequest:
    parsed = parse(raw, b.SUBJECT["reference"])
    assert isinstance(parsed, ServiceRequest)
    return parsed


@pytest.mark.parametrize(("text", "days"), [
    ("Continue PT 2x/wk x 6 more wks", 42), ("PT 2x/wk x 6 additional weeks", 42),
    ("Continue PT 2x/wk for 6 further weeks", 42), ("PT BIW x 4 extra weeks", 28), ("PT x 6 addl wks", 42),
    ("PT for an additional week", 7), ("one more week of PT", 7), ("PT x 8-10 more weeks", 56),
    ("PT for a further 4 weeks", 28),  # the word before the number was read already
    ("PT 2x/wk x 6 wks", 42),
    ("3 more sets of Nordics", None), ("PT 2x/wk, more weeks if needed", None),
])
def test_a_length_said_with_more_between_number_and_unit(text: str, days: float | None) -> None:
    assert longest_stated_days([text], low=True) == days


@pytest.mark.parametrize(("text", "count"), [
    ("Continue PT x 6 more visits", 6), ("PT 8 additional sessions", 8), ("4 further treatments", 4),
    ("PT 12 sessions", 12), ("2 more visits a week", None),
])
def test_a_count_said_with_more(text: str, count: int | None) -> None:
    assert stated_sessions(text) == count


@pytest.mark.parametrize(("text", "extended"), [
    ("Continue PT 2x/wk x 6 more wks", "Continue PT 2x/wk x 12 more weeks"),
    ("PT 2x/wk x 6 additional weeks", "PT 2x/wk x 12 additional weeks"),
    ("Continue PT 2x/wk for 6 further weeks", "Continue PT 2x/wk for 12 further weeks"),
    ("PT for an additional week", "PT for 12 additional weeks"),
    ("PT x 4-6 more weeks", "PT x 12 more weeks"),
    ("PT 2x/wk x 6 wks", "PT 2x/wk x 12 weeks"),
])
def test_a_length_extended_keeps_its_more(text: str, extended: str) -> None:
    assert lengthened(text, 84, "12 weeks") == extended


@pytest.mark.parametrize(("text", "short"), [
    ("ibuprofen 400 mg TID x 10 more days", "ibuprofen 400 mg TID x 7 more days"),
    ("NWB for 2 additional weeks", "NWB for 7 additional days"),
    ("ibuprofen TID x 5 more days", "ibuprofen TID x 5 more days"),
])
def test_a_length_shortened_keeps_its_more(text: str, short: str) -> None:
    assert shortened(text, 7, "7 days") == (short, False)


@pytest.mark.parametrize(("text", "per_week"), [
    ("PT q2 weeks x 12 weeks", 0.5), ("PT q2wk x 12 wks", 0.5), ("PT q 2 wks", 0.5), ("PT q2w x 12 wks", 0.5),
    ("PT every other week x 12 weeks", 0.5), ("PT every 2nd week", 0.5), ("PT every two weeks", 0.5),
    ("Physio fortnightly x 12 weeks", 0.5), ("PT every 3 weeks", 1 / 3), ("PT every 2-3 weeks", 1 / 3),
    ("PT q1wk x 8 wks", 1), ("PT weekly x 6 weeks", 1), ("Weekly PT x 6 wks", 1), ("PT every week", 1),
    ("PT 1 visit every 2 weeks x 12 weeks", 0.5),
    # counts a week, read as before
    ("PT 2x/wk", 2), ("PT BIW x 6 wks", 2), ("PT 2-3x/week", 2), ("PT twice weekly", 2), ("PT 2 visits per week", 2),
    ("PT 2x weekly", 2),
    # not a rate of sessions: ambiguous, or the interval of a review
    ("PT biweekly x 6 wks", None), ("PT bi-weekly", None), ("PT x 12 weeks, reassess every 2 weeks", None),
    ("PT x 12 wks, f/u weekly", None), ("PT x 12 wks", None),
])
def test_sessions_a_week_at_an_interval_of_weeks(text: str, per_week: float | None) -> None:
    found = stated_sessions_per_week(text)
    assert found == pytest.approx(per_week) if per_week is not None else found is None


@pytest.mark.parametrize(("text", "sessions"), [
    ("PT q2 weeks x 12 weeks", 6), ("PT every other week x 12 weeks", 6), ("PT q1wk x 8 wks", 8),
    ("PT weekly x 6 weeks", 6), ("PT every other week x 5 weeks", 2), ("PT every 3 weeks x 12 weeks", 4),
    ("PT 2x/wk x 6 wks", 12), ("PT BIW x 8 weeks", 16), ("PT 2-3x/wk x 4 wks", 8),
])
def test_sessions_from_a_name_are_the_whole_ones_its_weeks_hold(text: str, sessions: int) -> None:
    assert planned_sessions(model(named(text))) == (sessions, "text")


def coded(code: str, weeks: int, text: str | None = None, **repeat: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": GTS, "code": code}]} if code else {"text": text}
    return {"occurrenceTiming": {"code": concept, "repeat": {
        "boundsDuration": {"value": weeks, "unit": "wk", "system": b.UCUM, "code": "wk"}, **repeat}}}


@pytest.mark.parametrize(("timing", "sessions"), [
    (coded("QD", 1), 7), (coded("BID", 2), 28), (coded("QOD", 4), 14), (coded("QOD", 3), 10),
    (coded("", 1, text="TID"), 21), (coded("", 2, text="daily"), 14),
    (coded("QD", 6, frequency=2, period=1, periodUnit="wk"), 12),  # the repeat's own frequency first
    (coded("WK", 6), None), (coded("", 6, text="as directed"), None),  # no frequency the table gives
])
def test_a_therapy_timing_code_gives_its_frequency(timing: dict[str, Any], sessions: int | None) -> None:
    found, form = planned_sessions(model(b.pt_order(**timing)))
    assert found == sessions and form == ("frequency" if sessions else None)


def test_sessions_raised_on_a_coded_timing_extend_it_at_its_frequency() -> None:
    raw = b.pt_order(**coded("QD", 1))
    assert set_sessions(raw, model(raw), 12)
    assert planned_days(model(raw)) == (14, "boundsDuration") and (planned_sessions(model(raw))[0] or 0) >= 12


def test_a_weekly_frequency_raised_on_a_coded_timing_drops_the_code() -> None:
    raw = b.pt_order(**coded("QOD", 12))
    assert set_sessions_per_week(raw, model(raw), 4)
    assert "code" not in raw["occurrenceTiming"] and planned_sessions(model(raw)) == (48, "frequency")
    untouched = b.pt_order(**coded("QD", 12))
    assert set_sessions_per_week(untouched, model(untouched), 4) and "code" in untouched["occurrenceTiming"]


def held(note: str | None = None, status: str = "on-hold", draft: bool = False, **extra: Any) -> TherapyPlan:
    raw = b.pt_order(status="draft" if draft else status, occurrencePeriod={"start": "2026-10-01",
                                                                            "end": "2027-01-15"}, **extra)
    if draft:
        raw["status"] = status
    if note:
        raw["note"] = [{"text": note}]
    plan = therapy_plan(Read(raw, b.SUBJECT["reference"], is_draft=draft))
    assert plan is not None
    return plan


@pytest.mark.parametrize(("note", "extra", "for_pain"), [
    ("PT on hold due to increased hamstring pain", {}, True),
    ("Held d/t pain with Nordics", {}, True),
    ("On hold - not tolerating exercises", {}, True),
    ("Paused: pain got worse after sessions", {}, True),
    (None, {"reasonCode": [{"text": "Not tolerating exercises"}]}, True),
    (None, {"reasonCode": [{"text": "Held due to pain"}]}, True),
    # another reason, or pain as the order's indication
    ("On hold pending insurance authorization", {}, False),
    ("Hold: patient travelling, resume 12/1", {}, False),
    ("On hold, scheduling; no pain", {}, False),
    (None, {"reasonCode": [{"text": "Left hamstring pain"}]}, False),
    (None, {}, False),
])
def test_a_recorded_order_on_hold_for_pain_is_stopped_for_pain(note: str | None, extra: dict[str, Any],
                                                                for_pain: bool) -> None:
    plan = held(note, **extra)
    assert (plan.stopped, plan.stopped_for_pain) == (for_pain, for_pain)
    assert program_ended([plan]) is for_pain
    assert (plan.stop_note is not None) is for_pain


def test_an_active_order_beside_one_held_for_pain_keeps_the_program_going() -> None:
    active = held(status="active")
    assert not program_ended([held("PT on hold due to pain"), active])


def test_a_draft_on_hold_for_pain_is_read_as_a_stopping_draft_not_a_stopped_plan() -> None:
    """A draft putting the program on hold is a stop of its own (therapy_stops.py), not a recorded stop."""
    plan = held("Hold PT due to pain", draft=True)
    assert not plan.stopped


@pytest.mark.parametrize(("text", "therapy"), [
    # 'pt' is the patient a nursing action is done to
    ("Weigh pt weekly", False), ("Weigh pt once weekly", False), ("Weigh the pt weekly", False),
    ("Turn pt q2h", False), ("Turn pt x 2 staff", False), ("Ambulate pt TID", False),
    ("Ambulate pt 3x daily", False), ("Check on pt daily", False), ("Assist pt 2x/day with ADLs", False),
    ("Reposition pt twice a shift", False),
    # physical therapy, with or without a verb that takes the therapy as its object
    ("PT weekly x 6 weeks", True), ("PT 2x/wk", True), ("Outpatient PT weekly", True), ("Continue PT weekly", True),
    ("Resume PT 2x/wk", True), ("Refer to PT 2x/wk", True), ("Transfer pt to outpatient PT 2x/wk", True),
    ("Weigh pt weekly; PT 2x/wk x 6 wks", True),
])
def test_pt_after_a_nursing_action_is_the_patient(text: str, therapy: bool) -> None:
    assert is_physical_therapy({"code": {"text": text}}) is therapy
