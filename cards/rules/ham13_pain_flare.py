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
from cards.findings import Finding
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
    if now.value >= t.flare_pain:
        flare = f"pain {shown(now.value)}/10 on {now.when.isoformat()}"
    elif lowest is not None and now.value - lowest.value >= t.rise_points:
        flare = (f"pain up from {shown(lowest.value)}/10 to {shown(now.value)}/10 "
                 f"in {(now.when - lowest.when).days} days")
    else:
        return None
    return Finding(criterion_id=ID, about_ref=now.ref, observed={"flare": flare, "pain": shown(now.value)})


CRITERION = Criterion(id=ID, thresholds_model=Ham13Thresholds, evaluate=pain_flare,
                      example_observed={"flare": "pain up from 6.5/10 to 9.5/10 in 28 days", "pain": 9.5})
