"""HAM-01: a physical-therapy program shorter than 3 months.

Guideline: "The rehabilitation program must be at least 3 months in duration" (Kemp 2020, C2).
Judges planned programs and programs completed short; a program stopped (revoked) is HAM-07's.
"""

from __future__ import annotations

from pydantic import model_validator

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds

ID = "HAM-01"


class Ham01Thresholds(Thresholds):
    min_program_days: int
    suggested_program_weeks: int

    @model_validator(mode="after")
    def suggestion_meets_threshold(self) -> Ham01Thresholds:
        if self.suggested_program_weeks * 7 < self.min_program_days:
            raise ValueError("suggested_program_weeks must reach min_program_days, or the fix re-fires")
        return self


def program_too_short(facts: ClinicalFacts, t: Ham01Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        if plan.planned_days is not None and plan.planned_days < t.min_program_days:
            fixes: tuple[Fix, ...] = ()
            if plan.is_draft:
                fixes = (Fix(action="update", target_ref=plan.ref,
                             change={"program_weeks": t.suggested_program_weeks}),)
            return Finding(criterion_id=ID, about_ref=plan.ref, fixes=fixes,
                           observed={"program_days": plan.planned_days, "basis": "planned"})
    span = facts.therapy_sessions.span_days
    if facts.program_ended and not facts.stopped_plans and span is not None and span < t.min_program_days:
        return Finding(criterion_id=ID, observed={"program_days": span, "basis": "delivered"})
    return None


CRITERION = Criterion(id=ID, thresholds_model=Ham01Thresholds, evaluate=program_too_short,
                      example_observed={"program_days": 89, "basis": "delivered"})
