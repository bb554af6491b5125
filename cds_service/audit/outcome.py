"""The audit record of one hook call, produced from the pipeline's `HookOutcome` and a `CallContext`:
what the web layer knows beside it (the service asked, the status answered, the latency, the caller)
and the site's audit policy (pseudonym key, whether to keep the patient reference or the request).

Never a token: the optional request capture keeps `context` and the resolved prefetch, not
`fhirAuthorization` or `fhirServer`; the caller gives its JWT's `iss`, `jti` and tenant only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cards.config import Guideline
from cds_service.audit.records import CallRecord, CardRecord, now_utc

if TYPE_CHECKING:
    from cds_service.pipeline import HookOutcome

MAX_ERROR_CHARS = 500
# Widths of the audit columns (cds_service/audit/models.py) for values the caller chose: a longer value
# would make PostgreSQL refuse the record (and the batch it is written with).
MAX_HOOK_INSTANCE_CHARS, MAX_HOOK_CHARS, MAX_USER_REF_CHARS = 255, 40, 255


@dataclass(frozen=True)
class AuditPolicy:
    """What a site's settings say the audit trail keeps of a call (held by the service state)."""

    guideline: Guideline
    pseudonymize: Callable[[str | None], str | None]
    keep_patient_ref: bool = False  # CDS_AUDIT_STORE_PATIENT_REFERENCE
    capture: bool = False  # CDS_AUDIT_CAPTURE_REQUESTS


@dataclass(frozen=True)
class CallContext:
    """One call as the web layer saw it. `answer` is the body sent when the pipeline did not run
    (401, 413, a body that is not JSON): its OperationOutcome's diagnostics become the record's error."""

    service_id: str
    status: int
    latency_ms: float
    policy: AuditPolicy
    caller: Any = None  # the authenticated caller (iss, jti, tenant), None with authentication off
    answer: Any = None


def call_record(outcome: HookOutcome | None, call: CallContext) -> CallRecord:
    """The record of one call; `outcome` is None when the call was refused before the pipeline ran."""
    guideline, caller = call.policy.guideline, call.caller
    body = outcome.body if outcome is not None else call.answer
    record = CallRecord(service_id=call.service_id[:100], status=call.status, received_at=now_utc(),
                        latency_ms=round(call.latency_ms, 3), guideline_version=guideline.meta.version,
                        guideline_sha256=guideline.sha256, error=error_text(body) if call.status != 200 else None,
                        jwt_iss=getattr(caller, "iss", None), jwt_jti=getattr(caller, "jti", None),
                        tenant=_shortened(getattr(caller, "tenant", None), 255))
    if outcome is None:
        return record
    record.hook_instance = _shortened(outcome.hook_instance, MAX_HOOK_INSTANCE_CHARS)
    record.hook, record.as_of = _shortened(outcome.hook, MAX_HOOK_CHARS), outcome.as_of
    record.patient_pseudonym = call.policy.pseudonymize(outcome.patient_id)
    keep_ref = call.policy.keep_patient_ref and outcome.patient_id
    record.patient_ref = f"Patient/{outcome.patient_id}" if keep_ref else None
    record.user_ref = _shortened(outcome.user_id, MAX_USER_REF_CHARS)
    record.fhir_queries = outcome.fetched
    if outcome.evaluation is not None:
        record.in_population = outcome.evaluation.in_population
        record.failed_criteria = list(outcome.evaluation.failed)
        record.skipped_resources = [{"ref": s.ref, "reason": s.reason} for s in outcome.skipped]
        record.partial = bool(record.skipped_resources or record.failed_criteria)
        record.cards = (card_records(outcome.rendered, guideline, silent=False)
                        + card_records(outcome.silent_rendered, guideline, silent=True))
        if call.policy.capture and outcome.replay_input is not None:
            record.capture = outcome.replay_input
    return record


def card_records(rendered: list[tuple[Any, dict[str, Any]]], guideline: Guideline, silent: bool) -> list[CardRecord]:
    """(finding, card) pairs as rendered by `cards.render`; the thresholds are the ones in force now."""
    return [CardRecord(uuid=card["uuid"], criterion_id=finding.criterion_id, indicator=card["indicator"],
                       silent=silent, summary=card["summary"], observed=dict(finding.observed),
                       thresholds=guideline.template_values(finding.criterion_id),
                       suggestion_uuids=[s["uuid"] for s in card.get("suggestions", [])],
                       suggestion_labels=[s["label"][:255] for s in card.get("suggestions", [])])
            for finding, card in rendered]


def error_text(body: Any) -> str | None:
    """The diagnostics of an OperationOutcome body (what the caller was told), shortened."""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        issues = body.get("issue") or [{}]
        text = str(issues[0].get("diagnostics") or issues[0].get("code") or "")
        return text[:MAX_ERROR_CHARS] or None
    return None


def _shortened(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None
