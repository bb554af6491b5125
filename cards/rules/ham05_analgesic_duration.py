"""HAM-05: an acetaminophen or NSAID course longer than 7 days.

Guideline: "Use acetaminophen or NSAIDs for short-term pain relief (maximum 3-7 days) if needed".
No published source was found for the limit: cards label it local guideline policy. An order whose
length cannot be read gets no card (no guess).
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix
from cards.rules.base import Criterion, Thresholds

ID = "HAM-05"


class Ham05Thresholds(Thresholds):
    max_analgesic_days: int


def analgesic_course_too_long(facts: ClinicalFacts, t: Ham05Thresholds) -> Finding | None:
    for order in facts.analgesic_orders:
        if order.duration_days is None or order.duration_days <= t.max_analgesic_days:
            continue
        days = round(order.duration_days, 1)
        fixes = (Fix(action="update", target_ref=order.ref, change={"course_days": t.max_analgesic_days}),) \
            if order.is_draft else ()
        return Finding(criterion_id=ID, about_ref=order.ref, fixes=fixes,
                       observed={"drug": order.drug, "course_days": int(days) if days.is_integer() else days})
    return None


CRITERION = Criterion(id=ID, thresholds_model=Ham05Thresholds, evaluate=analgesic_course_too_long,
                      example_observed={"drug": "acetaminophen", "course_days": 365.5})
