"""HAM-09: return to sport or full activity ordered or cleared too early.

Guideline: "Return to full activity should only occur when the individual is pain-free with
sport-specific movements", and the return is gradual. Fires on a draft order or an active clearance
when the most recent pain rated during sport-specific movement is above the threshold. Program length
is not a gate: the guideline makes pain-free sport movement the condition, not the months of rehab
(a pain-free graded return after a short program gets no card). No pain rating: no card. Ardern 2016
supports a graded return; the pain-free condition is local guideline policy.
"""

from __future__ import annotations

from pydantic import Field

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds
from cards.rules.measures import latest, shown

ID = "HAM-09"


class Ham09Thresholds(Thresholds):
    max_sport_pain: int = Field(ge=0, le=10)


def return_to_activity_too_early(facts: ClinicalFacts, t: Ham09Thresholds) -> Finding | None:
    clearance = next(iter(facts.activity_clearances), None)
    if clearance is None:
        return None
    pain = latest([s for s in facts.pain_scores if s.with_sport_movement])
    if pain is None or pain.value <= t.max_sport_pain:
        return None
    fixes = (Fix(action="delete", target_ref=clearance.ref),) if clearance.is_draft else ()
    return Finding(criterion_id=ID, about_ref=clearance.ref, fixes=fixes, observed={
        "order": clearance.label, "sport_pain": shown(pain.value), "sport_pain_date": pain.when.isoformat()})


CRITERION = Criterion(id=ID, thresholds_model=Ham09Thresholds, evaluate=return_to_activity_too_early,
                      example_observed={"order": "Return to full activity", "sport_pain": 9.5,
                                        "sport_pain_date": "2026-11-23"})
