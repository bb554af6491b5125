"""HAM-08: rehabilitation under way for 4 weeks or more with no patient-reported outcome in the last 4 weeks.

Guideline: "Use patient-reported outcome measures (PROMs) such as HAGOS or IHOT to monitor progress"
(Kemp 2020, C4; Impellizzeri 2020). The 4-week interval is local guideline policy. Any recorded outcome
Observation counts as monitoring, with or without a score (a panel). Info card with links to the
instruments.
"""

from __future__ import annotations

from pydantic import Field

from cards.facts import SCORE_LOOKBACK_DAYS, ClinicalFacts
from cards.findings import Finding
from cards.rules.base import Criterion, Thresholds
from cards.rules.measures import latest, within

ID = "HAM-08"


class Ham08Thresholds(Thresholds):
    min_rehab_days: int = Field(ge=1)
    prom_window_days: int = Field(ge=1, le=SCORE_LOOKBACK_DAYS)


def outcome_monitoring_missing(facts: ClinicalFacts, t: Ham08Thresholds) -> Finding | None:
    days = facts.rehab_days
    if days is None or days < t.min_rehab_days:
        return None
    if within(facts.outcome_scores, facts.as_of, t.prom_window_days):
        return None
    last = latest(facts.outcome_scores)
    return Finding(criterion_id=ID, observed={
        "rehab_days": days, "rehab_weeks": days // 7,
        "last_prom": last.when.isoformat() if last else "none"})


CRITERION = Criterion(id=ID, thresholds_model=Ham08Thresholds, evaluate=outcome_monitoring_missing,
                      example_observed={"rehab_days": 9999, "rehab_weeks": 1428, "last_prom": "2026-11-23"})
