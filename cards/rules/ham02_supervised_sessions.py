"""HAM-02: fewer than 12 supervised physical-therapy sessions.

Guideline: "A minimum of 12 supervised physical therapy sessions is mandatory". No published source
was found for the number: cards label it local guideline policy. Delivered sessions are judged once
a program has ended; a program stopped (revoked) is HAM-07's.

The fix never shortens a program: a planned program already as long as `frequency_from_program_days`
gets more sessions a week over the same weeks; a shorter one is extended at its own frequency.
"""

from __future__ import annotations

import math

from cards.facts import ClinicalFacts, TherapyPlan
from cards.findings import Finding, Fix, Scalar
from cards.rules.base import Criterion, Thresholds

ID = "HAM-02"


class Ham02Thresholds(Thresholds):
    min_supervised_sessions: int
    frequency_from_program_days: int  # a program this long gets more sessions a week, not more weeks


def too_few_supervised_sessions(facts: ClinicalFacts, t: Ham02Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        if plan.planned_sessions is not None and plan.planned_sessions < t.min_supervised_sessions:
            per_week = _sessions_per_week(plan, t)
            fixes: tuple[Fix, ...] = ()
            if plan.is_draft and per_week is not None:
                fixes = (Fix(action="update", target_ref=plan.ref, text_key="frequency",
                             change={"sessions_per_week": per_week}),)
            elif plan.is_draft:
                fixes = (Fix(action="update", target_ref=plan.ref,
                             change={"sessions": t.min_supervised_sessions}),)
            observed: dict[str, Scalar] = {"sessions": plan.planned_sessions, "basis": "planned"}
            if per_week is not None:
                observed["sessions_per_week"] = per_week
            return Finding(criterion_id=ID, about_ref=plan.ref, fixes=fixes, observed=observed)
    delivered = facts.therapy_sessions.count
    if facts.program_ended and not facts.stopped_plans and 0 < delivered < t.min_supervised_sessions:
        return Finding(criterion_id=ID, observed={"sessions": delivered, "basis": "delivered"})
    return None


def _sessions_per_week(plan: TherapyPlan, t: Ham02Thresholds) -> int | None:
    """Sessions a week that reach the minimum within the planned weeks, for a program long enough already
    and planned as a weekly frequency; None otherwise (the program is then extended instead)."""
    days = plan.planned_days
    if plan.sessions_form != "frequency" or days is None or days < t.frequency_from_program_days:
        return None
    return math.ceil(t.min_supervised_sessions / (days / 7) - 1e-9)


CRITERION = Criterion(id=ID, thresholds_model=Ham02Thresholds, evaluate=too_few_supervised_sessions,
                      example_observed={"sessions": 11, "basis": "delivered", "sessions_per_week": 99})
