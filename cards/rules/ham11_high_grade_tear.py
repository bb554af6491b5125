"""HAM-11: a high-grade hamstring injury without a surgical consult.

Guideline: "High-grade injuries (complete or near-complete tears) may require surgical consultation, as
nonoperative management is associated with poor return to function and high recurrence risk"
(Bodendorfer 2018 and the proximal avulsion reviews). High grade and what records it (the diagnosis, a
stage, a note, or a severe severity with no lower grade recorded) are decided in fhir_mappings/tear_grade.py.
No card when a surgical consult for the hamstring is drafted or on record (a referral to a surgeon or for
the repair), when a referral to orthopaedics is being signed now that the tear is on record (orthopaedics
receives the tear), or when a repair is done. Referrals for another problem are not in the facts. The card
names what records the grade and what is being done: physical therapy being signed, a referral being
signed that is not to a surgeon or orthopaedics, or nothing on record.
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
    if injury is None or has_surgical_consult(facts) or facts.hamstring_repair_done:
        return None
    drafts = facts.draft_therapy_plans
    plan = "referral" if any(r.is_draft for r in facts.referrals) else "therapy" if drafts else "none"
    fix = Fix(action="create", change={"order": "orthopedic-surgeon-referral", "reason_ref": injury.ref,
                                       "priority": "urgent"})
    return Finding(criterion_id=ID, about_ref=drafts[0].ref if drafts else injury.ref, fixes=(fix,),
                   observed={"injury": injury.label, "evidence": injury.high_grade_evidence or "recorded",
                             "plan": plan})


def has_surgical_consult(facts: ClinicalFacts) -> bool:
    """A surgical referral drafted or on record, or a referral to orthopaedics being signed now."""
    return any(r.is_surgical or (r.is_draft and r.is_orthopaedic) for r in facts.referrals)


CRITERION = Criterion(id=ID, thresholds_model=Ham11Thresholds, evaluate=high_grade_tear_without_surgical_consult,
                      example_observed={"injury": "x" * 120, "evidence": "severity", "plan": "none"})
