"""HAM-02: fewer than 12 supervised physical-therapy sessions.

Guideline: "A minimum of 12 supervised physical therapy sessions is mandatory". No published source
was found for the number: cards label it local guideline policy. Delivered sessions are judged once
a program has ended; a program stopped (revoked) is HAM-07's.
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds

ID = "HAM-02"


class Ham02Thresholds(Thresholds):
    min_supervised_sessions: int


def too_few_supervised_sessions(facts: ClinicalFacts, t: Ham02Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        if plan.planned_sessions is not None and plan.planned_sessions < t.min_supervised_sessions:
            fixes: tuple[Fix, ...] = ()
            if plan.is_draft:
                fixes = (Fix(action="update", target_ref=plan.ref,
                             change={"sessions": t.min_supervised_sessions}),)
            return Finding(criterion_id=ID, about_ref=plan.ref, fixes=fixes,
                           observed={"sessions": plan.planned_sessions, "basis": "planned"})
    delivered = facts.therapy_sessions.count
    if facts.program_ended and not facts.stopped_plans and 0 < delivered < t.min_supervised_sessions:
        return Finding(criterion_id=ID, observed={"sessions": delivered, "basis": "delivered"})
    return None


CRITERION = Criterion(id=ID, thresholds_model=Ham02Thresholds, evaluate=too_few_supervised_sessions,
                      example_observed={"sessions": 11, "basis": "delivered"})
