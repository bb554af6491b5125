"""HAM-10: no improvement after 2 to 3 weeks of conservative treatment, and no specialist referral yet.

Guideline: "Consider specialist referral if there is no improvement after 2-3 weeks of conservative
treatment" (local guideline policy: no published source). After 14 days of rehabilitation, the first
0-10 pain rating not taken during sport movement (from 7 days before rehab began to day 13) is compared
with the latest, taken on day 14 or later; less than 2 points better fires. Without such a pain pair,
the first and latest scores of the most recently scored outcome instrument are compared the same way:
no gain fires. Neither pair: no card. Any specialist referral, drafted or on record, means no card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

from pydantic import Field

from cards.facts import SCORE_LOOKBACK_DAYS, ClinicalFacts
from cards.findings import Finding, Fix, Scalar
from cards.rules.base import Criterion, Thresholds
from cards.rules.measures import M, shown

ID = "HAM-10"


class Ham10Thresholds(Thresholds):
    min_treatment_days: int = Field(ge=1)
    min_pain_improvement_points: int = Field(gt=0, le=10)
    baseline_window_days: int = Field(ge=0, le=SCORE_LOOKBACK_DAYS)


IMPROVED: Literal["improved"] = "improved"


def no_improvement(facts: ClinicalFacts, t: Ham10Thresholds) -> Finding | None:
    days, start = facts.rehab_days, facts.rehab_start
    if days is None or start is None or days < t.min_treatment_days or facts.referrals:
        return None
    first_day = start - timedelta(days=t.baseline_window_days)
    assessed_from = start + timedelta(days=t.min_treatment_days - 1)
    change = _pain_change(facts, t, first_day, assessed_from)
    if change is None:
        change = _outcome_change(facts, first_day, assessed_from)
    if change is None or change == IMPROVED:
        return None
    reason = facts.hamstring_injuries[0].ref if facts.hamstring_injuries else None
    fixes = tuple(Fix(action="create", text_key=key, change={"order": order, "reason_ref": reason})
                  for key, order in (("orthopaedics", "orthopedic-service-referral"),
                                     ("sports_medicine", "sports-medicine-referral")))
    return Finding(criterion_id=ID, fixes=fixes, observed={"treatment_days": days, **change})


def _pain_change(facts: ClinicalFacts, t: Ham10Thresholds, first_day: date,
                 assessed_from: date) -> Literal["improved"] | dict[str, Scalar] | None:
    """IMPROVED, the observed values of a change that is no improvement, or None without a usable pair
    (sport-movement ratings excluded)."""
    pair = _pair([s for s in facts.pain_scores if not s.with_sport_movement], first_day, assessed_from)
    if pair is None:
        return None
    before, after = pair
    if before.value - after.value >= t.min_pain_improvement_points:
        return IMPROVED
    return {"change": "pain", "before": shown(before.value), "after": shown(after.value)}


def _outcome_change(facts: ClinicalFacts, first_day: date,
                    assessed_from: date) -> Literal["improved"] | dict[str, Scalar] | None:
    """The same for the most recently scored outcome instrument: any gain is an improvement."""
    scored = [s for s in facts.outcome_scores if s.value is not None]
    pair = _pair([s for s in scored if s.instrument == scored[-1].instrument] if scored else [],
                 first_day, assessed_from)
    if pair is None:
        return None
    before, after = pair
    gain = (after.value or 0) - (before.value or 0)
    if gain > 0 if after.higher_is_better else gain < 0:
        return IMPROVED
    return {"change": "outcome", "instrument": after.instrument[:40], "before": shown(before.value),
            "after": shown(after.value)}


def _pair(series: Sequence[M], first_day: date, assessed_from: date) -> tuple[M, M] | None:
    """The first measurement from `first_day` (taken before `assessed_from`) and the latest (from it on)."""
    usable = [m for m in series if m.when >= first_day]
    if len(usable) < 2 or usable[0].when >= assessed_from or usable[-1].when < assessed_from:
        return None
    return usable[0], usable[-1]


CRITERION = Criterion(id=ID, thresholds_model=Ham10Thresholds, evaluate=no_improvement,
                      example_observed={"treatment_days": 9999, "change": "outcome", "instrument": "x" * 40,
                                        "before": 100.5, "after": 100.5})
