"""HAM-01: a physical-therapy program shorter than 3 months.

Guideline: "The rehabilitation program must be at least 3 months in duration" (Kemp 2020, C2).
Judges the whole program an order belongs to (cards/program.py): a continuation after weeks of delivered
sessions counts them, and its fix extends the order so that the whole program reaches the minimum.
Judges programs completed short on their delivered sessions; a program stopped (revoked) is HAM-07's.
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from cards.facts import ClinicalFacts, TherapyPlan
from cards.findings import Finding, Fix, Scalar
from cards.program import Program, delivered_block, program_of
from cards.rules.base import Criterion, Thresholds

ID = "HAM-01"


class Ham01Thresholds(Thresholds):
    min_program_days: int = Field(ge=1)
    suggested_program_weeks: int = Field(ge=1)
    continuation_gap_days: int = Field(ge=0)  # a longer break between blocks starts a new program

    @model_validator(mode="after")
    def suggestion_meets_threshold(self) -> Ham01Thresholds:
        if self.suggested_program_weeks * 7 < self.min_program_days:
            raise ValueError("suggested_program_weeks must reach min_program_days, or the fix re-fires")
        return self


def program_too_short(facts: ClinicalFacts, t: Ham01Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        if plan.planned_days is None:
            continue
        program = program_of(plan, facts, t.continuation_gap_days)
        days = program.days if program.continues and program.days is not None else plan.planned_days
        if days < t.min_program_days:
            return _finding(plan, program, days, t)
    if facts.program_ended and not facts.stopped_plans:
        block = delivered_block(facts, t.continuation_gap_days)
        if block is not None and block.days < t.min_program_days:
            return Finding(criterion_id=ID, observed={"program_days": block.days, "basis": "delivered"})
    return None


def _finding(plan: TherapyPlan, program: Program, days: int, t: Ham01Thresholds) -> Finding:
    observed: dict[str, Scalar] = {"program_days": days, "basis": "planned"}
    change, text_key = {"program_weeks": t.suggested_program_weeks}, "default"
    if program.continues:
        # The order's weeks that bring the whole program to the minimum (at least one more than now).
        weeks = math.ceil((t.min_program_days - program.days_before_order) / 7)
        observed.update(basis="whole", earlier_days=program.days_before_order, order_days=plan.planned_days or 0,
                        order_weeks=weeks)
        change, text_key = {"program_weeks": weeks}, "continuation"
    fixes = (Fix(action="update", target_ref=plan.ref, text_key=text_key, change=change),) if plan.is_draft else ()
    return Finding(criterion_id=ID, about_ref=plan.ref, fixes=fixes, observed=observed)


CRITERION = Criterion(id=ID, thresholds_model=Ham01Thresholds, evaluate=program_too_short,
                      example_observed={"program_days": 83, "basis": "whole", "earlier_days": 9999,
                                        "order_days": 9999, "order_weeks": 99})
