"""HAM-09: return to sport or full activity ordered or cleared too early.

Guideline: "Return to full activity should only occur when the individual is pain-free with
sport-specific movements", after a rehabilitation program of at least 3 months. Fires on a draft
order or an active clearance when the most recent pain rated during sport-specific movement is above
0, or when the program has run fewer than 90 days. Neither known: no card. Ardern 2016 supports a
graded return; the pain-free and 3-month conditions are local guideline policy.
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
    min_program_days: int = Field(ge=1)


def return_to_activity_too_early(facts: ClinicalFacts, t: Ham09Thresholds) -> Finding | None:
    clearance = next(iter(facts.activity_clearances), None)
    if clearance is None:
        return None
    pain = latest([s for s in facts.pain_scores if s.with_sport_movement])
    run_days = facts.program_run_days
    reasons = []
    if pain is not None and pain.value > t.max_sport_pain:
        reasons.append(f"sport-specific movement still hurts ({shown(pain.value)}/10)")
    if run_days is not None and run_days < t.min_program_days:
        reasons.append(f"rehab has run only {run_days} days")
    if not reasons:
        return None
    fixes = (Fix(action="delete", target_ref=clearance.ref),) if clearance.is_draft else ()
    return Finding(criterion_id=ID, about_ref=clearance.ref, fixes=fixes, observed={
        "reason": " and ".join(reasons), "order": clearance.label,
        "sport_pain": shown(pain.value if pain else None), "sport_pain_date": pain.when.isoformat() if pain else "-",
        "program_days": run_days if run_days is not None else "unknown"})


CRITERION = Criterion(id=ID, thresholds_model=Ham09Thresholds, evaluate=return_to_activity_too_early,
                      example_observed={"reason": "sport-specific movement still hurts (9.5/10) and rehab has "
                                                  "run only 89 days",
                                        "order": "Return to full activity", "sport_pain": 10,
                                        "sport_pain_date": "2026-11-23", "program_days": 89})
