"""Monitoring and escalation facts (HAM-08..13): measurements, weakness, referrals, clearances, repair.

The episode starts at the earliest known injury onset or rehabilitation start. Measurements are kept
from SCORE_LOOKBACK_DAYS before it (before `as_of` when neither is known), which covers every
criterion window; a strength symmetry is also worked out from each side's strength (limb_symmetry.py).
Referrals and clearances on record are cut at the same date only when the episode start is known, so that
a consult of unknown date is never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cards.facts import (
    SCORE_LOOKBACK_DAYS,
    ActivityClearance,
    HamstringInjury,
    Measurement,
    OutcomeScore,
    PainScore,
    Referral,
    TherapyPlan,
    TherapySessions,
    rehab_start,
)
from fhir_mappings.conditions import weakness_findings
from fhir_mappings.escalation import activity_clearances, hamstring_repair_done, referrals
from fhir_mappings.limb_symmetry import injured_side, side_symmetry
from fhir_mappings.observations import measurements
from fhir_mappings.questionnaires import questionnaire_outcomes
from fhir_mappings.record import PatientRecord


@dataclass(frozen=True)
class MonitoringFacts:
    """The ClinicalFacts members for HAM-08..13, as one typed group."""

    pain_scores: tuple[PainScore, ...]
    outcome_scores: tuple[OutcomeScore, ...]
    strength_symmetry: tuple[Measurement, ...]
    weakness_findings: tuple[str, ...]
    referrals: tuple[Referral, ...]
    activity_clearances: tuple[ActivityClearance, ...]
    hamstring_repair_done: bool


def episode_start(injuries: Iterable[HamstringInjury], plans: Iterable[TherapyPlan], sessions: TherapySessions,
                  as_of: date) -> date | None:
    starts = [i.onset for i in injuries if i.onset is not None and i.onset <= as_of]
    rehab = rehab_start(plans, sessions, as_of, injuries)
    return min([*starts, rehab] if rehab else starts, default=None)


def monitoring_facts(record: PatientRecord, injuries: Sequence[HamstringInjury], plans: Sequence[TherapyPlan],
                     sessions: TherapySessions, as_of: date) -> MonitoringFacts:
    """The ClinicalFacts members for HAM-08..13. A referral in any draft order counts; a clearance must be
    among the drafts under review (the ones the clinician is acting on)."""
    lookback = timedelta(days=SCORE_LOOKBACK_DAYS)
    episode = episode_start(injuries, plans, sessions, as_of)
    record_since = episode - lookback if episode else None
    responses = questionnaire_outcomes(record.questionnaire_responses)
    since = (episode or as_of) - lookback
    found = measurements(record.observations, since, as_of, extra_outcomes=responses)
    requests, conditions = record.service_requests, record.conditions_by_ref
    sides = side_symmetry(record.observations, since, as_of, injured_side(injuries, conditions))
    return MonitoringFacts(
        pain_scores=found.pain,
        outcome_scores=found.outcomes,
        strength_symmetry=tuple(sorted(found.strength + sides, key=lambda m: m.when)) if sides else found.strength,
        weakness_findings=weakness_findings(record.conditions),
        referrals=referrals(record.drafts, requests, record_since, conditions),
        activity_clearances=activity_clearances(record.under_review, requests, record_since, conditions),
        hamstring_repair_done=hamstring_repair_done(record.procedures),
    )
