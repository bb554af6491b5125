"""ClinicalFacts: what the criteria know about a patient, in clinical words.

Built from FHIR by `fhir_mappings`; read by `cards.rules`. Frozen so that one criterion can never
change what another sees. Dates are plain `date`s; `as_of` is the evaluation date (injected clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

# Pain, outcome and strength measurements are kept from this many days before the episode start
# (earliest injury onset or rehabilitation start, else the evaluation date); criterion windows must fit.
SCORE_LOOKBACK_DAYS = 28


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class HamstringInjury(Frozen):
    """A current hamstring condition (strain, tear, avulsion): how it is on record is its `basis`: a
    condition with an active clinical status, a recent encounter diagnosis without one, or only the reason
    a physical-therapy order gives (then `ref` is None unless the order references a Condition)."""

    ref: str | None = None
    label: str
    basis: Literal["condition", "encounter-diagnosis", "order-reason"] = "condition"
    onset: date | None = None
    is_high_grade: bool = False
    # What records the high grade (fhir_mappings/tear_grade.py): diagnosis, stage, note or severity.
    high_grade_evidence: str | None = None


class UnreadableOrder(Frozen):
    """A draft order under review that the service could not read, so could not check."""

    ref: str
    reason: str


class TherapyPlan(Frozen):
    """A planned physical-therapy program: a draft or recorded ServiceRequest."""

    ref: str
    is_draft: bool
    status: str
    start: date | None = None
    planned_days: int | None = None
    planned_sessions: int | None = None
    duration_form: str | None = None
    sessions_form: str | None = None
    # Exercise content named in the order (code, orderDetail, notes, patient instruction): HAM-03/04.
    has_eccentric: bool = False
    has_hip_trunk_strength: bool = False
    has_motor_control: bool = False
    # The first note of a recorded program that ended (HAM-07 quotes it, e.g. "stopped because of pain").
    stop_note: str | None = None
    # A recorded program stopped rather than completed: revoked, or completed with a note that it was
    # discontinued because of pain or intolerance (HAM-07, not HAM-01/02).
    stopped: bool = False
    stopped_for_pain: bool = False
    # An evaluation only (CPT 97161-97164, "PT eval", no treatment named): not a rehabilitation program, so
    # not judged for length, sessions or exercise content (HAM-01..04); it still marks the start of care.
    evaluation_only: bool = False
    # The order says it continues a program ("continuation", "recert", "continue PT"), or replaces or is
    # based on a physical-therapy order on record (fhir_mappings/facts.py): cards/program.py.
    states_continuation: bool = False

    @property
    def end(self) -> date | None:
        """The last planned day: the start plus the planned days, counting the first."""
        if self.start is None or self.planned_days is None:
            return None
        return self.start + timedelta(days=self.planned_days - 1)


class TherapySessions(Frozen):
    """Supervised physical-therapy sessions delivered (completed Procedures), one date per session day."""

    dates: tuple[date, ...] = ()

    @property
    def count(self) -> int:
        return len(self.dates)

    @property
    def span_days(self) -> int | None:
        """Days from the first to the last session, counting both (as periods are counted)."""
        if not self.dates:
            return None
        return (self.dates[-1] - self.dates[0]).days + 1


class Measurement(Frozen):
    """One dated Observation value: a strength limb symmetry in percent, or the base of the scores below."""

    ref: str
    when: date
    value: float | None = None


class PainScore(Measurement):
    """A 0-10 numeric pain rating; `with_sport_movement` when it was rated during sport-specific movement."""

    value: float
    with_sport_movement: bool = False


class OutcomeScore(Measurement):
    """A patient-reported outcome (HAGOS, iHOT, HOOS, PROMIS); `value` is None for a panel without a score."""

    instrument: str
    higher_is_better: bool = True


class Referral(Frozen):
    """A referral to sports medicine, orthopaedics or surgery for the hamstring (or for no stated problem):
    ordered now (draft) or on record. `is_orthopaedic`: to orthopaedics, its surgeons or not."""

    ref: str
    is_draft: bool
    is_surgical: bool
    is_orthopaedic: bool = False


class ActivityClearance(Frozen):
    """An order or clearance for return to sport or full activity: drafted now or active on record."""

    ref: str
    label: str
    is_draft: bool


class AnalgesicOrder(Frozen):
    """An acetaminophen or NSAID course (HAM-05); `duration_days` None when the order does not say."""

    ref: str
    is_draft: bool
    drug: str
    duration_days: float | None = None
    duration_form: str | None = None


class RestOrder(Frozen):
    """A complete-rest, bed-rest, immobilization or non-weight-bearing order (HAM-06)."""

    ref: str
    is_draft: bool
    label: str
    start: date | None = None
    planned_hours: float | None = None


class TherapyStop(Frozen):
    """A draft order that discontinues physical therapy (HAM-07), with its stated reason."""

    ref: str
    reason: str | None = None
    for_pain: bool = False  # the stated reason is pain or intolerance


def rehab_start(plans: Iterable[TherapyPlan], sessions: TherapySessions, as_of: date,
                injuries: Iterable[HamstringInjury] = ()) -> date | None:
    """First day of rehabilitation on record: the earliest delivered session or recorded plan start.

    Drafts and dates after `as_of` do not count: an order not yet signed or started is not rehabilitation.
    Nor do days before the onset of the hamstring injury being treated (the earliest known onset): physical
    therapy years ago for another episode is not this rehabilitation.
    """
    onsets = [i.onset for i in injuries if i.onset is not None and i.onset <= as_of]
    since = min(onsets, default=None)
    starts = [p.start for p in plans if not p.is_draft and p.start is not None]
    starts += [d for d in sessions.dates if since is None or d >= since][:1]
    return min((d for d in starts if d <= as_of and (since is None or d >= since)), default=None)


class ClinicalFacts(Frozen):
    """Everything the criteria may read for one hook call."""

    as_of: date
    hook: str
    age_years: int | None = None
    hamstring_injuries: tuple[HamstringInjury, ...] = ()
    therapy_plans: tuple[TherapyPlan, ...] = ()
    therapy_sessions: TherapySessions = TherapySessions()
    program_ended: bool = False
    # Monitoring and escalation (HAM-08..13). Measurements oldest first, from SCORE_LOOKBACK_DAYS before
    # the episode start; referrals and clearances on record only from that date when it is known.
    pain_scores: tuple[PainScore, ...] = ()
    outcome_scores: tuple[OutcomeScore, ...] = ()
    strength_symmetry: tuple[Measurement, ...] = ()
    weakness_findings: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()
    activity_clearances: tuple[ActivityClearance, ...] = ()
    hamstring_repair_done: bool = False
    # Orders (HAM-05..07): drafts on order hooks, active ones on patient-view.
    analgesic_orders: tuple[AnalgesicOrder, ...] = ()
    rest_orders: tuple[RestOrder, ...] = ()
    therapy_stops: tuple[TherapyStop, ...] = ()
    # Draft orders under review that could not be read (HAM-00).
    unreadable_orders: tuple[UnreadableOrder, ...] = ()

    @property
    def rehab_start(self) -> date | None:
        return rehab_start(self.therapy_plans, self.therapy_sessions, self.as_of, self.hamstring_injuries)

    @property
    def in_rehab(self) -> bool:
        """Rehabilitation under way: begun (a session or a started recorded plan) and not ended."""
        return self.rehab_start is not None and not self.program_ended

    @property
    def rehab_days(self) -> int | None:
        """Days of rehabilitation so far, counting the first day and `as_of`; None when not in rehab."""
        start = self.rehab_start
        return (self.as_of - start).days + 1 if start is not None and self.in_rehab else None

    @property
    def program_run_days(self) -> int | None:
        """How long the program has run: days so far while in rehab, first to last session once ended."""
        if self.in_rehab:
            return self.rehab_days
        return self.therapy_sessions.span_days if self.program_ended else None

    @property
    def stopped_plans(self) -> tuple[TherapyPlan, ...]:
        """Recorded programs stopped (revoked, or discontinued because of pain) rather than completed, once no
        plan replaces them."""
        if not self.program_ended:
            return ()
        return tuple(p for p in self.therapy_plans if p.status == "revoked" or p.stopped)

    @property
    def has_surgical_referral(self) -> bool:
        return any(r.is_surgical for r in self.referrals)

    @property
    def draft_therapy_plans(self) -> tuple[TherapyPlan, ...]:
        return tuple(p for p in self.therapy_plans if p.is_draft)

    @property
    def current_therapy_plans(self) -> tuple[TherapyPlan, ...]:
        """The programs a check should judge: the drafts on order hooks, the active ones otherwise; an
        evaluation-only order is not a program. A program a draft stops (with no draft program replacing it)
        is not judged for its length or content: HAM-07 judges the stop."""
        drafts = self.draft_therapy_plans
        if not drafts and self.therapy_stops:
            return ()
        plans = drafts or tuple(p for p in self.therapy_plans if p.status == "active")
        return tuple(p for p in plans if not p.evaluation_only)
