"""One hook call, as named steps: request -> resolved data -> facts -> findings -> cards.

Shared by the HTTP route and `hamstring-cds evaluate`, so both give the same answer. Errors that
belong to the caller (400, 404, 412) come back as an outcome with an OperationOutcome body.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from cards.config import Guideline
from cards.engine import Evaluation, evaluate
from cards.findings import Finding, Fix
from cards.render import render_card
from cds_service.errors import BadRequest, ServiceError, UnknownService, operation_outcome
from cds_service.jsonutil import without_empty
from cds_service.prefetch import PrefetchResolver, Resolution
from cds_service.schemas import CONTEXT_MODELS, HookRequest, PatientViewContext
from cds_service.services import SERVICES, Service
from cds_service.tracing import traced
from fhir_mappings.bundles import resources_in
from fhir_mappings.facts import HookData, build_facts, ref_of
from fhir_mappings.order_edits import build_action
from fhir_mappings.parse import conformed
from fhir_mappings.reading_report import SkippedResource, reading_report

# The facts and criteria stages are spans when tracing is on (cds_service/tracing.py), plain calls when off.
build_facts = traced("facts")(build_facts)
evaluate = traced("criteria")(evaluate)

@dataclass
class HookOutcome:
    status: int
    body: dict[str, Any]
    service_id: str
    hook_instance: str | None = None
    evaluation: Evaluation | None = None
    fetched: dict[str, list[str]] = field(default_factory=dict)
    latency_ms: float = 0.0
    # For the audit trail (cds_service/audit/records.py): who, when, and each card with its finding.
    hook: str | None = None
    patient_id: str | None = None
    user_id: str | None = None
    as_of: date | None = None
    rendered: list[tuple[Finding, dict[str, Any]]] = field(default_factory=list)
    silent_rendered: list[tuple[Finding, dict[str, Any]]] = field(default_factory=list)
    replay_input: dict[str, Any] | None = None  # context + resolved prefetch; no fhirServer, no token
    skipped: list[SkippedResource] = field(default_factory=list)  # resources that could not be read


@dataclass
class Pipeline:
    guideline: Guideline
    resolver: PrefetchResolver
    templates: dict[str, str]

    def run(self, service_id: str, payload: Any, as_of: date, source_url: str | None = None,
            fhir_servers: frozenset[str] = frozenset()) -> HookOutcome:
        """`fhir_servers`: the origins the caller's issuer may name as fhirServer (empty: any allowed)."""
        started = time.perf_counter()
        outcome = HookOutcome(status=200, body={}, service_id=service_id, as_of=as_of)
        try:
            service = find_service(service_id)
            request, context = parse_request(payload, service)
            outcome.hook_instance, outcome.hook = request.hookInstance, request.hook
            outcome.patient_id, outcome.user_id = context.patientId, context.userId
            resolution = self.resolve(request, context, fhir_servers)
            outcome.fetched = resolution.fetched
            data = hook_data(request, context, resolution)
            outcome.replay_input = {"hook": request.hook, "hookInstance": request.hookInstance,
                                    "context": request.context, "prefetch": resolution.values}
            with reading_report() as report:  # every resource that cannot be read, for the audit trail
                facts = build_facts(data, as_of, self.guideline.file.population.encounter_diagnosis_days)
            outcome.skipped = list(report.skipped.values())
            outcome.evaluation = evaluate(facts, self.guideline)
            meta = self.guideline.meta
            edits = DraftEdits(data, outcome.evaluation.findings, meta.carries_other_edits, meta.change_by_hand)
            outcome.rendered = self.cards(outcome.evaluation.findings, edits, source_url)
            outcome.silent_rendered = self.cards(outcome.evaluation.silent, edits, source_url)
            # Clean by construction (no walk over the answer): cards come from validated config, and
            # suggestions edit copies of draft orders cleaned by DraftEdits (tests/test_response_hygiene.py).
            outcome.body = {"cards": [card for _, card in outcome.rendered]}
        except ServiceError as exc:
            outcome.status = exc.status
            outcome.body = operation_outcome(exc.status, exc.message, exc.expression)
            if outcome.hook_instance is None:  # refused before the body parsed: keep what it says of itself
                outcome.hook_instance, outcome.hook = identity_of(payload)
        outcome.latency_ms = (time.perf_counter() - started) * 1000
        return outcome

    @traced("prefetch")
    def resolve(self, request: HookRequest, context: PatientViewContext,
                fhir_servers: frozenset[str] = frozenset()) -> Resolution:
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        # The context as sent, with the validated ids (patientId without a "Patient/" prefix); a
        # model_dump would copy the whole draftOrders Bundle to fill two template tokens.
        values = {**request.context, "patientId": context.patientId, "userId": context.userId}
        return self.resolver.resolve(self.templates, values, request.prefetch, request.fhirServer, token or None,
                                     fhir_servers)

    @traced("render")
    def cards(self, findings: list[Finding], edits: DraftEdits,
              source_url: str | None) -> list[tuple[Finding, dict[str, Any]]]:
        return [(f, render_card(f, self.guideline, edits.action, source_url)) for f in findings]


class DraftEdits:
    """The actions of one call's suggestions on its draft orders. A suggestion carries a whole draft
    order: its null and empty members go once per call here, and each draft is parsed and serialized
    once however many suggestions edit it.

    Suggestions that edit the same draft compose: each update carries the edits the other cards shown
    suggest for that draft (their first, recommended, suggestion), so accepting any of them, in any order,
    leaves one coherent order (README, "Services"). Silent cards' edits are not carried."""

    def __init__(self, data: HookData, shown: Sequence[Finding] = (), carries_note: str | None = None,
                 by_hand_note: str | None = None):
        self.carries_note, self.by_hand_note = carries_note, by_hand_note
        self.drafts = {ref_of(r): without_empty(r) for r in data.draft_orders}
        # A draft without an id cannot be updated or deleted by the EHR (nor told from another without one)
        self.anonymous = {ref_of(r) for r in data.draft_orders if not isinstance(r.get("id"), str) or not r["id"]}
        self.subject_ref = data.subject_ref
        self.memo: dict[str, Any] = {}
        self.companions: dict[str, list[Fix]] = {}
        for finding in shown:
            first = next((f for f in finding.fixes if f.action == "update" and f.target_ref), None)
            if first is not None and first.target_ref:
                self.companions.setdefault(first.target_ref, []).append(first)

    def action(self, fix: Fix, description: str) -> dict[str, Any] | None:
        if fix.action in ("update", "delete") and fix.target_ref in self.anonymous:
            return None  # the card stands without this suggestion
        companions = self.companions.get(fix.target_ref or "", []) if fix.action == "update" else []
        if self.carries_note and any(c != fix for c in companions):
            description = f"{description}. {self.carries_note}"
        by_hand: list[str] = []
        action = build_action(fix, description, self.drafts, self.subject_ref, self.memo, companions, by_hand)
        if action is not None and by_hand and self.by_hand_note:
            action["description"] = f"{action['description']} {self.by_hand_note.format(fields=', '.join(by_hand))}"
        return action


def find_service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise UnknownService(f"Unknown CDS service '{service_id}'; services are listed at /cds-services")
    return service


def identity_of(payload: Any) -> tuple[str | None, str | None]:
    """`hookInstance` and `hook` of a body that was refused, so the audit trail can find the EHR's call:
    string values only (the audit record shortens them to its columns), nothing else of the body."""
    if not isinstance(payload, dict):
        return None, None
    instance, hook = payload.get("hookInstance"), payload.get("hook")
    return (instance if isinstance(instance, str) and instance else None,
            hook if isinstance(hook, str) and hook else None)


@traced("parse")
def parse_request(payload: Any, service: Service) -> tuple[HookRequest, PatientViewContext]:
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object")
    try:
        request = HookRequest.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(describe(exc), fields(exc)) from None
    if request.hook != service.hook:
        raise BadRequest(f"Service '{service.id}' answers hook '{service.hook}', not '{request.hook}'", ["hook"])
    try:
        context = CONTEXT_MODELS[service.hook].model_validate(request.context)
    except ValidationError as exc:
        raise BadRequest(describe(exc, "context."), [f"context.{f}" for f in fields(exc)]) from None
    return request, context


def hook_data(request: HookRequest, context: PatientViewContext, resolution: Resolution) -> HookData:
    draft_bundle = getattr(context, "draftOrders", None)
    entries = [] if draft_bundle is None else draft_bundle.entry
    # Drafts conformed whole (a few resources): the checks and the suggestions' edits read them in R4's shape.
    drafts = tuple(conformed(r) for r in resources_in({"resourceType": "Bundle", "entry": entries}))
    return data_for(request.hook, context.patientId, drafts, frozenset(getattr(context, "selections", ()) or ()),
                    resolution.values)


def data_for(hook: str, patient_id: str, draft_orders: Sequence[dict[str, Any]] = (),
             selections: frozenset[str] = frozenset(), prefetch: Mapping[str, Any] | None = None) -> HookData:
    """The mappers' input, with what the call judges decided here, from the hook: order-sign judges every
    draft order, order-select the selected ones, patient-view the active orders on record."""
    drafts = tuple(draft_orders)
    under_review = tuple(r for r in drafts if ref_of(r) in selections) if hook == "order-select" and selections \
        else drafts
    return HookData(patient_id=patient_id, draft_orders=drafts, under_review=under_review,
                    judges_record=hook == "patient-view", prefetch={} if prefetch is None else prefetch, hook=hook)


def describe(exc: ValidationError, prefix: str = "") -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = prefix + ".".join(str(p) for p in error["loc"]) if error["loc"] else "body"
        problems.append(f"{where}: {error['msg']}")
    return "Invalid request: " + "; ".join(problems)


def fields(exc: ValidationError) -> list[str]:
    return sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors() if e["loc"]})
