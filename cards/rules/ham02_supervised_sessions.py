"""HAM-02: fewer than 12 supervised physical-therapy sessions.

Guideline: "A minimum of 12 supervised physical therapy sessions is mandatory". No published source
was found for the number: cards label it local guideline policy. An order is judged with the sessions of
the program it continues (cards/program.py): delivered before it plus planned in it. Delivered sessions
are judged once a program has ended; a program stopped (revoked) is HAM-07's.

The fix never shortens a program: a program already as long as `frequency_from_program_days` gets more
sessions a week over the order's weeks; a shorter one is extended at its own frequency. On a continuation
the order is given the sessions the program still lacks, not the whole minimum.
"""

from __future__ import annotations

import math

from pydantic import Field

from cards.facts import ClinicalFacts, TherapyPlan
from cards.findings import Finding, Fix, Scalar
from cards.program import Program, delivered_block, program_of
from cards.rules.base import Criterion, Thresholds

ID = "HAM-02"


class Ham02Thresholds(Thresholds):
    min_supervised_sessions: int = Field(ge=1)
    frequency_from_program_days: int  # a program this long gets more sessions a week, not more weeks
    continuation_gap_days: int = Field(ge=0)  # a longer break between blocks starts a new program


def too_few_supervised_sessions(facts: ClinicalFacts, t: Ham02Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        if plan.planned_sessions is None:
            continue
        program = program_of(plan, facts, t.continuation_gap_days)
        earlier = program.earlier_sessions if program.continues else 0
        if plan.planned_sessions + earlier < t.min_supervised_sessions:
            return _finding(plan, program, earlier, t)
    block = delivered_block(facts, t.continuation_gap_days)
    if facts.program_ended and not facts.stopped_plans and block is not None \
            and block.sessions < t.min_supervised_sessions:
        return Finding(criterion_id=ID, observed={"sessions": block.sessions, "basis": "delivered"})
    return None


def _finding(plan: TherapyPlan, program: Program, earlier: int, t: Ham02Thresholds) -> Finding:
    sessions = plan.planned_sessions or 0
    needed = t.min_supervised_sessions - earlier
    observed: dict[str, Scalar] = {"sessions": sessions + earlier, "basis": "planned"}
    fix = Fix(action="update", target_ref=plan.ref, change={"sessions": needed})
    if program.continues:
        observed.update(basis="whole", earlier_sessions=earlier, order_sessions=sessions, order_needed=needed)
        fix = fix.model_copy(update={"text_key": "continuation"})
    per_week = _sessions_per_week(plan, needed, program.days if program.continues else plan.planned_days, t)
    if per_week is not None:
        observed["sessions_per_week"] = per_week
        fix = Fix(action="update", target_ref=plan.ref, text_key="frequency", change={"sessions_per_week": per_week})
    return Finding(criterion_id=ID, about_ref=plan.ref, fixes=(fix,) if plan.is_draft else (), observed=observed)


def _sessions_per_week(plan: TherapyPlan, needed: int, program_days: int | None, t: Ham02Thresholds) -> int | None:
    """Sessions a week that give the order `needed` sessions within its planned weeks, for a program long
    enough already and an order planned as a weekly frequency (a Timing, or its name: 'PT q2 weeks x 12 weeks');
    None otherwise (the order is then extended)."""
    days = plan.planned_days
    if plan.sessions_form not in ("frequency", "text") or days is None or program_days is None \
            or program_days < t.frequency_from_program_days:
        return None
    return math.ceil(needed / (days / 7) - 1e-9)


CRITERION = Criterion(id=ID, thresholds_model=Ham02Thresholds, evaluate=too_few_supervised_sessions,
                      example_observed={"sessions": 11, "basis": "whole", "sessions_per_week": 99,
                                        "earlier_sessions": 11, "order_sessions": 11, "order_needed": 12})
