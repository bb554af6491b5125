"""HAM-04: a physical-therapy order without hip and trunk strengthening or single-leg motor control.

Guideline: "Hip and trunk strengthening, particularly targeting the gluteus medius muscle, must be
included" and "Include exercises focusing on hip and pelvis motor control, particularly in single-leg
support positions". Both belong in the program: the card names what is missing.
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds

ID = "HAM-04"


class Ham04Thresholds(Thresholds):
    hip_trunk_detail: str
    motor_control_detail: str


def no_hip_trunk_or_motor_control(facts: ClinicalFacts, t: Ham04Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        missing = [(key, detail) for has, key, detail in (
            (plan.has_hip_trunk_strength, "hip-trunk", t.hip_trunk_detail),
            (plan.has_motor_control, "motor-control", t.motor_control_detail)) if not has]
        if not missing:
            continue
        fixes = (Fix(action="update", target_ref=plan.ref,
                     change={"add_order_detail": [detail for _, detail in missing]}),) if plan.is_draft else ()
        return Finding(criterion_id=ID, about_ref=plan.ref, fixes=fixes,
                       observed={"missing": "both" if len(missing) == 2 else missing[0][0]})
    return None


CRITERION = Criterion(id=ID, thresholds_model=Ham04Thresholds, evaluate=no_hip_trunk_or_motor_control,
                      example_observed={"missing": "both"})
