"""HAM-11: a high-grade hamstring injury without a surgical consult.

Guideline: "High-grade injuries (complete or near-complete tears) may require surgical consultation, as
nonoperative management is associated with poor return to function and high recurrence risk"
(Bodendorfer 2018 and the proximal avulsion reviews). High grade is decided in fhir_mappings
(severe severity, complete stage, S32.61- ischial avulsion, avulsion or complete-tear words). A surgical
referral, drafted or on record, or a hamstring repair already done means no card. On order hooks, the
card says when the draft orders are physical therapy only.
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds

ID = "HAM-11"


class Ham11Thresholds(Thresholds):
    """No numbers: the finding is the grade itself."""


def high_grade_tear_without_surgical_consult(facts: ClinicalFacts, t: Ham11Thresholds) -> Finding | None:
    injury = next((i for i in facts.hamstring_injuries if i.is_high_grade), None)
    if injury is None or facts.has_surgical_referral or facts.hamstring_repair_done:
        return None
    conservative_drafts = facts.draft_therapy_plans
    plan = ("the orders being signed are conservative only (physical therapy)" if conservative_drafts
            else "no surgical consult is on record")
    fix = Fix(action="create", change={"order": "orthopedic-surgeon-referral", "reason_ref": injury.ref,
                                       "priority": "urgent"})
    return Finding(criterion_id=ID, about_ref=conservative_drafts[0].ref if conservative_drafts else injury.ref,
                   fixes=(fix,), observed={"injury": injury.label, "plan": plan})


CRITERION = Criterion(id=ID, thresholds_model=Ham11Thresholds, evaluate=high_grade_tear_without_surgical_consult,
                      example_observed={"injury": "x" * 120, "plan": "no surgical consult is on record"})
