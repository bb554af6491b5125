"""HAM-00: a draft order under review that the service could not read, so could not check.

Not a guideline criterion but the service's own honesty: an order the EHR sends in a form that is not
FHIR R4 (after the lenient reading of common vendor deviations) would otherwise get no card at all, a
false all-clear. The card says which order and why; a site that does not want it shown sets `silent`
on HAM-00 in its guideline configuration (it is then still recorded in the audit trail).
"""

from __future__ import annotations

from cards.facts import ClinicalFacts
from cards.findings import Finding
from cards.rules.base import Criterion, Thresholds

ID = "HAM-00"


class Ham00Thresholds(Thresholds):
    """No clinical number: the order is readable or it is not."""


def order_could_not_be_checked(facts: ClinicalFacts, t: Ham00Thresholds) -> Finding | None:
    if not facts.unreadable_orders:
        return None
    first = facts.unreadable_orders[0]
    return Finding(criterion_id=ID, about_ref=first.ref,
                   observed={"order": first.ref, "resource_type": first.ref.split("/")[0], "reason": first.reason,
                             "unreadable_count": len(facts.unreadable_orders),
                             "orders": ", ".join(o.ref for o in facts.unreadable_orders)})


CRITERION = Criterion(id=ID, thresholds_model=Ham00Thresholds, evaluate=order_could_not_be_checked,
                      example_observed={"order": "MedicationRequest/" + "x" * 64, "resource_type": "MedicationRequest",
                                        "reason": "r" * 300, "unreadable_count": 99, "orders": "o" * 300})
