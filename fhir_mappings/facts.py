"""Builds ClinicalFacts for one hook call from draft orders and resolved prefetch data.

Prefetch keys are not interpreted by name: resources are gathered from every key and selected by
type and code, so an EHR that packs data differently still gets the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cards.facts import ClinicalFacts, HamstringInjury, TherapyPlan, UnreadableOrder
from fhir_mappings.bundles import resources_in
from fhir_mappings.conditions import hamstring_injuries, patient_age
from fhir_mappings.indications import is_therapy_for_another_problem
from fhir_mappings.monitoring import monitoring_facts
from fhir_mappings.order_reasons import order_reason_injuries
from fhir_mappings.order_text import is_physical_therapy
from fhir_mappings.orders import order_facts
from fhir_mappings.parse import conformed
from fhir_mappings.record import PatientRecord, Read, patient_record
from fhir_mappings.therapy import delivered_sessions, program_ended, therapy_plan
from fhir_mappings.therapy_stops import stops_therapy


@dataclass(frozen=True)
class HookData:
    """What a hook call gives the mappers, past request validation and prefetch resolution.

    What the call judges is decided before mapping, by the pipeline (cds_service.pipeline.data_for): the
    draft orders under review (on order-select the selected ones), or, when there are none to judge
    (patient-view), the active orders on record. No mapper reads the hook's name; it is passed on to
    ClinicalFacts for the record only.
    """

    patient_id: str
    draft_orders: tuple[dict[str, Any], ...] = ()
    under_review: tuple[dict[str, Any], ...] = ()
    judges_record: bool = False
    prefetch: Mapping[str, Any] = field(default_factory=dict)
    hook: str = ""

    @property
    def subject_ref(self) -> str:
        return f"Patient/{self.patient_id}"

    def recorded(self) -> list[dict[str, Any]]:
        """Every resource of the prefetch, its own members conformed to R4 (parse.conformed; validation
        conforms what is inside its elements): a large prefetch is not walked twice."""
        out: list[dict[str, Any]] = []
        for value in self.prefetch.values():
            out.extend(conformed(r, deep=False) for r in resources_in(value))
        return out


def ref_of(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def read_record(data: HookData) -> PatientRecord:
    """The FHIR stage (fhir_mappings/record.py) for one call: each resource read once, by type."""
    return patient_record(data.patient_id, data.recorded(), data.draft_orders, data.under_review,
                          data.judges_record)


def build_facts(data: HookData, as_of: date, encounter_diagnosis_days: int | None = None) -> ClinicalFacts:
    """`encounter_diagnosis_days`: the guideline's window for encounter diagnoses without a clinical status
    (`[population]`); None counts none of them."""
    record = read_record(data)
    conditions = record.conditions_by_ref
    plans = _plans(record.under_review, record.service_requests, conditions)
    injuries = _injuries(record, as_of, encounter_diagnosis_days)
    sessions = delivered_sessions(record.procedures, conditions)
    monitored = monitoring_facts(record, injuries, plans, sessions, as_of)
    ordered = order_facts(record)
    return ClinicalFacts(
        as_of=as_of,
        hook=data.hook,
        age_years=patient_age(record.patient, as_of),
        hamstring_injuries=injuries,
        therapy_plans=plans,
        therapy_sessions=sessions,
        program_ended=program_ended(plans),
        pain_scores=monitored.pain_scores,
        outcome_scores=monitored.outcome_scores,
        strength_symmetry=monitored.strength_symmetry,
        weakness_findings=monitored.weakness_findings,
        referrals=monitored.referrals,
        activity_clearances=monitored.activity_clearances,
        hamstring_repair_done=monitored.hamstring_repair_done,
        analgesic_orders=ordered.analgesic_orders,
        rest_orders=ordered.rest_orders,
        therapy_stops=ordered.therapy_stops,
        unreadable_orders=unreadable_orders(record.under_review),
    )


def _injuries(record: PatientRecord, as_of: date, encounter_diagnosis_days: int | None) -> tuple[HamstringInjury, ...]:
    """Hamstring conditions on record, then those named only as a physical-therapy order's reason."""
    injuries = hamstring_injuries(record.conditions, as_of, encounter_diagnosis_days)
    known = {i.ref for i in injuries}
    reasons = order_reason_injuries(record.drafts, record.service_requests, record.conditions)
    return injuries + tuple(i for i in reasons if i.ref is None or i.ref not in known)


def unreadable_orders(drafts: Iterable[Read[Any]]) -> tuple[UnreadableOrder, ...]:
    """Draft orders under review the service cannot read (each is also in the call's reading report)."""
    out = []
    for draft in drafts:
        reason = draft.unreadable_reason()
        if reason is not None:
            out.append(UnreadableOrder(ref=draft.ref, reason=reason))
    return tuple(out)


def _plans(drafts: Iterable[Read[Any]], recorded: Iterable[Read[Any]],
           conditions: Mapping[str, dict[str, Any]]) -> tuple[TherapyPlan, ...]:
    """Physical-therapy plans: the drafts first, then the recorded orders (resources of other types are skipped);
    therapy for another problem (knee osteoarthritis, a shoulder: indications.py) is not hamstring rehabilitation.
    An order that replaces or is based on a physical-therapy order on record states that it continues it."""
    plans = []
    seen: set[str] = set()
    recorded = tuple(recorded)
    program_orders = {r.ref for r in recorded if r.resource_type == "ServiceRequest" and is_physical_therapy(r.json)}
    for read in [*drafts, *recorded]:
        if read.resource_type != "ServiceRequest" or read.identity in seen or not is_physical_therapy(read.json):
            continue
        seen.add(read.identity)
        if read.is_draft and stops_therapy(read.json):
            continue  # a draft stopping therapy (and the order it stops) is not a plan to judge: HAM-07 reads it
        if is_therapy_for_another_problem(read.json, conditions):
            continue
        plan = therapy_plan(read)
        if plan is not None and not plan.states_continuation and _links_to(read.json, program_orders):
            plan = plan.model_copy(update={"states_continuation": True})
        if plan is not None:
            plans.append(plan)
    return tuple(plans)


def _links_to(raw: dict[str, Any], refs: set[str]) -> bool:
    """The order renews or follows one of `refs` (its `replaces` or `basedOn` names it: relative, absolute or
    versioned): a structured continuation, as 'continue PT' or 'recert' says it in words."""
    links = [*(raw.get("replaces") or []), *(raw.get("basedOn") or [])]
    for link in links if isinstance(links, list) else []:
        reference = link.get("reference") if isinstance(link, dict) else None
        if isinstance(reference, str):
            parts = reference.split("/_history/")[0].rstrip("/").split("/")
            if "/".join(parts[-2:]) in refs:
                return True
    return False
