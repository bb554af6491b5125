"""HAM-13: a pain flare during rehabilitation.

Guideline: during flares, "apply ice, compression, and elevation", "reduce the intensity or load of
exercises ... rather than eliminating them", short-term analgesia only, and no complete rest. Fires while
in rehab when the latest 0-10 pain rating, taken in the last 7 days, is 7 or more, or is 3 or more
points above a rating taken up to 7 days before it. The thresholds are local guideline policy; Kemp
2020 (C5) supports staying physically active. Info card, no order change.
"""

from __future__ import annotations

from pydantic import Field

from cards.facts import SCORE_LOOKBACK_DAYS, ClinicalFacts
from cards.findings import Finding, Scalar
from cards.rules.base import Criterion, Thresholds
from cards.rules.measures import latest, shown, within

ID = "HAM-13"


class Ham13Thresholds(Thresholds):
    flare_pain: int = Field(gt=0, le=10)
    rise_points: int = Field(gt=0, le=10)
    window_days: int = Field(ge=1, le=SCORE_LOOKBACK_DAYS)


def pain_flare(facts: ClinicalFacts, t: Ham13Thresholds) -> Finding | None:
    if not facts.in_rehab:
        return None
    now = latest(within(facts.pain_scores, facts.as_of, t.window_days))
    if now is None:
        return None
    before = [s for s in within(facts.pain_scores, now.when, t.window_days) if s is not now]
    lowest = min(before, key=lambda s: s.value, default=None)
    observed: dict[str, Scalar] = {"pain": shown(now.value), "pain_date": now.when.isoformat()}
    if now.value >= t.flare_pain:
        observed["flare"] = "high"
    elif lowest is not None and now.value - lowest.value >= t.rise_points:
        observed.update(flare="rise", from_pain=shown(lowest.value), rise_days=(now.when - lowest.when).days)
    else:
        return None
    return Finding(criterion_id=ID, about_ref=now.ref, observed=observed)


CRITERION = Criterion(id=ID, thresholds_model=Ham13Thresholds, evaluate=pain_flare,
                      example_observed={"flare": "rise", "pain": 9.5, "pain_date": "2026-11-23", "from_pain": 6.5,
                                        "rise_days": 28})
