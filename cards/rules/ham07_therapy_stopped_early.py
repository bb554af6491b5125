"""HAM-07: physical therapy stopped before 3 months (a draft discontinuing it, or a program revoked).

Guideline: "Stopping therapy due to pain: pain during rehabilitation is common and does not
necessarily indicate treatment failure"; programs must last at least 3 months. A program completed as
planned but short is HAM-01's; one stopped (revoked, or completed with a note that pain or intolerance
stopped it) is this criterion's. A draft that stops therapy, however abbreviated ("D/C PT d/t pain"), is
read in fhir_mappings/therapy.py and is not judged as a program (HAM-01..04).
"""

from __future__ import annotations

from pydantic import Field

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix, Scalar
from cards.program import days_so_far
from cards.rules.base import Criterion, Thresholds

ID = "HAM-07"


class Ham07Thresholds(Thresholds):
    min_program_days: int
    resume_program_weeks: int
    continuation_gap_days: int = Field(ge=0)  # the program stopped is the run of sessions without a longer break


def therapy_stopped_early(facts: ClinicalFacts, t: Ham07Thresholds) -> Finding | None:
    resume = (Fix(action="create", change={"order": "physical-therapy-resume",
                                           "program_weeks": t.resume_program_weeks}),)
    run_days = days_so_far(facts, t.continuation_gap_days)
    for stop in facts.therapy_stops:
        if run_days is None or run_days < t.min_program_days:
            # Resuming replaces the draft that stops therapy: one suggestion deletes it and creates the order.
            replace = (resume[0].model_copy(update={"also": (Fix(action="delete", target_ref=stop.ref),)}),)
            return Finding(criterion_id=ID, about_ref=stop.ref, fixes=replace,
                           observed=_observed(stop.reason, stop.for_pain, run_days))
    for plan in facts.stopped_plans:
        span = facts.therapy_sessions.span_days or plan.planned_days
        if span is not None and span < t.min_program_days:
            return Finding(criterion_id=ID, about_ref=plan.ref, fixes=resume,
                           observed=_observed(plan.stop_note, plan.stopped_for_pain, span))
    return None


def _observed(reason: str | None, for_pain: bool, days: int | None) -> dict[str, Scalar]:
    """Keys for the card's phrases: `stopped` says whether pain or intolerance is the stated reason."""
    observed: dict[str, Scalar] = {"reason": reason or "none", "stopped": "for-pain" if for_pain else "other"}
    if days is not None:
        observed["program_days"] = days
    return observed


CRITERION = Criterion(id=ID, thresholds_model=Ham07Thresholds, evaluate=therapy_stopped_early,
                      example_observed={"reason": "x", "stopped": "for-pain", "program_days": 83})
