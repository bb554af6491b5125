"""HAM-06: complete rest or immobilization beyond 72 hours.

Guideline: "Complete rest beyond initial 48-72 hours ... leads to muscle atrophy, joint stiffness, and
worse functional outcomes"; "Implement relative rest ... but do not stop all physical activity". A
recommendation to rest (relative rest) is not complete rest. No published source was found for the
72 hours: cards label it local guideline policy.
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds
from cards.rules.measures import shown

ID = "HAM-06"


class Ham06Thresholds(Thresholds):
    max_complete_rest_hours: int


def complete_rest_too_long(facts: ClinicalFacts, t: Ham06Thresholds) -> Finding | None:
    for order in facts.rest_orders:
        elapsed = (facts.as_of - order.start).days * 24 if order.start and not order.is_draft else None
        hours = max(h for h in (order.planned_hours, elapsed) if h is not None) \
            if order.planned_hours is not None or elapsed is not None else None
        if hours is None or hours <= t.max_complete_rest_hours:
            continue
        fixes = (Fix(action="delete", target_ref=order.ref, text_key="remove"),
                 Fix(action="update", target_ref=order.ref, text_key="limit",
                     change={"rest_hours": t.max_complete_rest_hours})) if order.is_draft else ()
        return Finding(criterion_id=ID, about_ref=order.ref, fixes=fixes,
                       observed={"order": order.label, "rest_hours": int(hours), "rest_days": shown(hours / 24),
                                 "basis": "planned" if elapsed is None or hours == order.planned_hours else "elapsed"})
    return None


CRITERION = Criterion(id=ID, thresholds_model=Ham06Thresholds, evaluate=complete_rest_too_long,
                      example_observed={"order": "Strict bed rest", "rest_hours": 9999, "rest_days": 416.6,
                                        "basis": "elapsed"})
