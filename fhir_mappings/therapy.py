"""ServiceRequest and Procedure -> physical-therapy plans and delivered sessions.

How long a program runs and how many sessions it plans is read in program_plan.py. A recorded order on hold
because of pain ('PT on hold due to increased hamstring pain') is stopped for pain, as a revoked one is
(HAM-07); one on hold for another reason (insurance, scheduling) is not stopped.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

from cards.facts import TherapyPlan, TherapySessions
from fhir_mappings.indications import is_therapy_for_another_problem
from fhir_mappings.order_text import is_physical_therapy, names
from fhir_mappings.program_plan import plan_start, planned_days, planned_sessions
from fhir_mappings.record import Read
from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy_stops import first_note, says_stop, stop_reason, stopped_for_pain
from fhir_mappings.timeutil import to_date

ENDED_STATUSES = {"completed", "revoked"}
CONTENT_SETS = ("eccentric-strengthening", "hip-trunk-strengthening", "motor-control")


def is_evaluation_only(raw: dict[str, Any]) -> bool:
    """A physical-therapy evaluation (CPT 97161-97164, 'PT eval', 'initial evaluation only') that names no
    treatment ('and treat', 'E&T', treatment codes), no continuation and no exercise content."""
    return names(raw, "physical-therapy-evaluation") and not any(
        names(raw, s) for s in ("therapy-treatment", "therapy-continuation", *CONTENT_SETS))


def therapy_plan(read: Read[ServiceRequest]) -> TherapyPlan | None:
    request, raw = read.model_as(ServiceRequest), read.json
    if request is None:
        return None
    days, duration_form = planned_days(request)
    sessions, sessions_form = planned_sessions(request)
    held_for_pain = request.status == "on-hold" and not read.is_draft and held_because_of_pain(raw)
    ended_for_pain = held_for_pain or (request.status in ENDED_STATUSES
                                       and stopped_for_pain(raw, read_reason_code=False))
    return TherapyPlan(
        ref=f"ServiceRequest/{request.id}", is_draft=read.is_draft, status=request.status or "unknown",
        start=plan_start(request), planned_days=days, planned_sessions=sessions,
        duration_form=duration_form, sessions_form=sessions_form,
        has_eccentric=names(raw, "eccentric-strengthening"),
        has_hip_trunk_strength=names(raw, "hip-trunk-strengthening"),
        has_motor_control=names(raw, "motor-control"),
        stop_note=stop_reason(raw) if held_for_pain else first_note(raw) if request.status in ENDED_STATUSES else None,
        stopped=request.status == "revoked" or held_for_pain or (ended_for_pain and says_stop(raw)),
        stopped_for_pain=ended_for_pain,
        evaluation_only=is_evaluation_only(raw),
        states_continuation=names(raw, "therapy-continuation"),
    )


def held_because_of_pain(raw: dict[str, Any]) -> bool:
    """An order put on hold gives pain or intolerance as the reason: in its text or notes ('on hold due to
    pain'), or a reasonCode stating it ('Not tolerating exercises'); a reasonCode naming pain alone ('Hamstring
    pain') is the order's indication, not why it was held."""
    reasons = raw.get("reasonCode")
    return stopped_for_pain(raw, read_reason_code=False) or isinstance(reasons, list) and any(
        concept_set("stopped-for-pain").matches_concept(r) for r in reasons)


def delivered_sessions(procedures: Iterable[Read[Procedure]],
                       conditions: Mapping[str, dict[str, Any]] | None = None) -> TherapySessions:
    """Completed physical-therapy Procedures, counted once per calendar day; a session for another problem
    (its reason knee osteoarthritis, its body site a shoulder: indications.py) is not hamstring rehabilitation."""
    days = set()
    for read in procedures:
        if read.status != "completed" or not is_physical_therapy(read.json) \
                or is_therapy_for_another_problem(read.json, conditions or {}):
            continue
        procedure = read.model_as(Procedure)
        if procedure is not None:
            when = to_date(procedure.performedDateTime
                           or (procedure.performedPeriod.start if procedure.performedPeriod else None))
            if when is not None:
                days.add(when)
    return TherapySessions(dates=tuple(sorted(days)))


def program_ended(plans: Iterable[TherapyPlan]) -> bool:
    """A recorded program was completed, revoked or stopped (on hold for pain) and no current or draft program
    replaces it."""
    plans = [p for p in plans if not p.evaluation_only]  # an evaluation neither ends nor replaces a program
    if any(p.is_draft or p.status == "active" for p in plans):
        return False
    return any(p.status in ENDED_STATUSES or p.stopped for p in plans)
