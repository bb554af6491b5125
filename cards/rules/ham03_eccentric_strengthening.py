"""HAM-03: a physical-therapy order without eccentric hamstring strengthening.

Guideline: "Eccentric strengthening exercises are the most critical component and should be
prioritized"; "Neglecting eccentric strengthening ... should never be omitted". No code exists for
eccentric or Nordic exercise (terminology.md 2a, NF): the order's text is read.
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds

ID = "HAM-03"


class Ham03Thresholds(Thresholds):
    order_detail: str  # the exercise prescription a fix adds to the order


def no_eccentric_strengthening(facts: ClinicalFacts, t: Ham03Thresholds) -> Finding | None:
    for plan in facts.current_therapy_plans:
        if plan.has_eccentric:
            continue
        fixes = (Fix(action="update", target_ref=plan.ref, change={"add_order_detail": [t.order_detail]}),) \
            if plan.is_draft else ()
        return Finding(criterion_id=ID, about_ref=plan.ref, fixes=fixes,
                       observed={"basis": "draft" if plan.is_draft else "active"})
    return None


CRITERION = Criterion(id=ID, thresholds_model=Ham03Thresholds, evaluate=no_eccentric_strengthening,
                      example_observed={"basis": "active"})
