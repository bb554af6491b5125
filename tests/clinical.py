"""Builders of ClinicalFacts for unit tests of the monitoring criteria (HAM-08..13), in clinical words.

Days are counted back from AS_OF: `days_ago(0)` is the evaluation date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cards.config import load_guideline
from cards.facts import (
    ActivityClearance,
    ClinicalFacts,
    HamstringInjury,
    Measurement,
    OutcomeScore,
    PainScore,
    Referral,
    TherapyPlan,
    TherapySessions,
)
from tests.builders import AS_OF

GUIDELINE = load_guideline()
INJURY = HamstringInjury(ref="Condition/cond-1", label="Right hamstring strain")
HIGH_GRADE = HamstringInjury(ref="Condition/cond-2", label="Proximal hamstring avulsion", is_high_grade=True)


def days_ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def rehab(days: int, sessions: int | None = None, every_days: int = 7) -> dict[str, Any]:
    """Facts members for rehabilitation under way for `days` days (AS_OF included): an active recorded plan
    and weekly sessions from its first day (or `sessions` of them, `every_days` apart)."""
    start = days_ago(days - 1)
    count = sessions if sessions is not None else (days - 1) // every_days + 1
    dates = tuple(start + timedelta(days=every_days * i) for i in range(count))
    plan = TherapyPlan(ref="ServiceRequest/pt-rec", is_draft=False, status="active", start=start,
                       planned_days=max(days, 91), planned_sessions=max(count, 12))
    return {"therapy_plans": (plan,), "therapy_sessions": TherapySessions(dates=dates)}


def ended_program(span_days: int, sessions: int) -> dict[str, Any]:
    """A completed program: `sessions` sessions spread over `span_days` days, ending a week before AS_OF."""
    last = days_ago(7)
    first = last - timedelta(days=span_days - 1)
    step = (span_days - 1) / max(sessions - 1, 1)
    dates = tuple(sorted({first + timedelta(days=round(step * i)) for i in range(sessions)}))
    plan = TherapyPlan(ref="ServiceRequest/pt-rec", is_draft=False, status="completed", start=first)
    return {"therapy_plans": (plan,), "therapy_sessions": TherapySessions(dates=dates), "program_ended": True}


def draft_plan() -> TherapyPlan:
    return TherapyPlan(ref="ServiceRequest/pt-draft", is_draft=True, status="draft", planned_days=91,
                       planned_sessions=24)


def facts(hook: str = "patient-view", injuries: tuple[HamstringInjury, ...] = (INJURY,),
          **members: Any) -> ClinicalFacts:
    return ClinicalFacts(as_of=AS_OF, hook=hook, age_years=35, hamstring_injuries=injuries, **members)


def pain(days: int, value: float, sport: bool = False) -> PainScore:
    return PainScore(ref=f"Observation/pain-{days}", when=days_ago(days), value=value, with_sport_movement=sport)


def prom(days: int, value: float | None = 50, instrument: str = "Sport-recreation score [HOOS]",
         higher_is_better: bool = True) -> OutcomeScore:
    return OutcomeScore(ref=f"Observation/prom-{days}", when=days_ago(days), value=value, instrument=instrument,
                        higher_is_better=higher_is_better)


def symmetry(days: int, percent: float) -> Measurement:
    return Measurement(ref=f"Observation/strength-{days}", when=days_ago(days), value=percent)


def referral(surgical: bool = False, draft: bool = False) -> Referral:
    return Referral(ref="ServiceRequest/ref-1", is_draft=draft, is_surgical=surgical)


def clearance(draft: bool = True) -> ActivityClearance:
    return ActivityClearance(ref="ServiceRequest/rts-1", label="Return to sport clearance", is_draft=draft)
