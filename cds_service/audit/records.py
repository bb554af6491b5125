"""What the audit trail keeps of one hook call and of one feedback item.

Built from the pipeline's `HookOutcome`: the cards returned and the silent ones (criterion, indicator,
summary, the observed values and the thresholds in force, suggestion uuids), the FHIR paths queried,
the guideline version and config hash, the caller's JWT `iss` and `jti`. Never a token: the optional
request capture keeps `context` and the resolved prefetch, not `fhirAuthorization` or `fhirServer`.
Records are plain dataclasses so the spool can write them as JSON lines and read them back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from cards.config import Guideline
from cards.ids import new_hex_id
from cds_service.schemas import FeedbackItem

if TYPE_CHECKING:
    from cds_service.pipeline import HookOutcome

MAX_ERROR_CHARS = 500
# Widths of the audit columns (cds_service/audit/models.py) for values the caller chose: a longer value
# would make PostgreSQL refuse the record (and the batch it is written with).
MAX_HOOK_INSTANCE_CHARS, MAX_HOOK_CHARS, MAX_USER_REF_CHARS = 255, 40, 255


@dataclass
class CardRecord:
    uuid: str
    criterion_id: str
    indicator: str
    silent: bool
    summary: str
    observed: dict[str, Any]
    thresholds: dict[str, Any]
    suggestion_uuids: list[str]
    suggestion_labels: list[str] = field(default_factory=list)  # in the order of suggestion_uuids


@dataclass
class CallRecord:
    service_id: str
    status: int
    received_at: datetime
    latency_ms: float
    guideline_version: str
    guideline_sha256: str
    record_id: str = field(default_factory=new_hex_id)
    hook_instance: str | None = None
    hook: str | None = None
    error: str | None = None
    patient_pseudonym: str | None = None
    patient_ref: str | None = None
    user_ref: str | None = None
    jwt_iss: str | None = None
    jwt_jti: str | None = None
    tenant: str | None = None
    fhir_queries: dict[str, list[str]] = field(default_factory=dict)
    as_of: date | None = None
    in_population: bool | None = None
    failed_criteria: list[str] = field(default_factory=list)
    # Resources that could not be read ({"ref", "reason"}); with failed criteria they make the evaluation partial.
    skipped_resources: list[dict[str, str]] = field(default_factory=list)
    partial: bool = False
    cards: list[CardRecord] = field(default_factory=list)
    capture: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallRecord:
        values = dict(data)
        values["received_at"] = datetime.fromisoformat(values["received_at"])
        values["as_of"] = date.fromisoformat(values["as_of"]) if values.get("as_of") else None
        values["cards"] = [CardRecord(**c) for c in values.get("cards") or []]
        return cls(**values)

    @property
    def returned_cards(self) -> int:
        return sum(not c.silent for c in self.cards)

    @property
    def silent_cards(self) -> int:
        return sum(c.silent for c in self.cards)


@dataclass
class FeedbackRecord:
    service_id: str
    card_uuid: str
    outcome: str
    accepted_suggestions: list[str]
    outcome_timestamp: datetime
    received_at: datetime
    override_system: str | None = None
    override_code: str | None = None
    override_display: str | None = None
    override_comment: str | None = None
    standard_code: str | None = None  # the override's HL7 non-adherence reason code (cds_service/audit/reasons.py)

    @property
    def key(self) -> tuple[str, str, str, str, datetime]:
        return (self.service_id, self.card_uuid, self.outcome, accepted_key(self.accepted_suggestions),
                self.outcome_timestamp)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeedbackRecord:
        values = dict(data)
        for name in ("outcome_timestamp", "received_at"):
            values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


def accepted_key(suggestions: list[str]) -> str:
    return ",".join(sorted(suggestions))[:512]


def utc_naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def feedback_records(service_id: str, items: list[FeedbackItem],
                     standard_code: Callable[[str | None, str | None], str | None] | None = None,
                     ) -> list[FeedbackRecord]:
    """`standard_code(system, code)`: the override reason's non-adherence reason code, if it has one."""
    received = now_utc()
    out = []
    for item in items:
        reason = item.overrideReason
        coding = reason.reason if reason else None
        out.append(FeedbackRecord(
            service_id=service_id, card_uuid=item.card, outcome=item.outcome,
            accepted_suggestions=sorted(s.id for s in item.acceptedSuggestions or []),
            outcome_timestamp=utc_naive(item.outcomeTimestamp), received_at=received,
            override_system=coding.system if coding else None, override_code=coding.code if coding else None,
            override_display=coding.display if coding else None,
            override_comment=reason.userComment if reason else None,
            standard_code=standard_code(coding.system, coding.code) if coding and standard_code else None))
    return out


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


def call_record(outcome: HookOutcome | None, *, service_id: str, status: int, body: Any, latency_ms: float,
                guideline: Guideline, pseudonymize: Callable[[str | None], str | None], keep_patient_ref: bool,
                capture: bool, caller: Any = None) -> CallRecord:
    """The record of one call; `outcome` is None when the call was refused before the pipeline ran
    (401, 413, a body that is not JSON)."""
    record = CallRecord(service_id=service_id[:100], status=status, received_at=now_utc(),
                        latency_ms=round(latency_ms, 3), guideline_version=guideline.meta.version,
                        guideline_sha256=guideline.sha256, error=error_text(body) if status != 200 else None,
                        jwt_iss=getattr(caller, "iss", None), jwt_jti=getattr(caller, "jti", None),
                        tenant=_shortened(getattr(caller, "tenant", None), 255))
    if outcome is None:
        return record
    record.hook_instance = _shortened(outcome.hook_instance, MAX_HOOK_INSTANCE_CHARS)
    record.hook, record.as_of = _shortened(outcome.hook, MAX_HOOK_CHARS), outcome.as_of
    record.patient_pseudonym = pseudonymize(outcome.patient_id)
    record.patient_ref = f"Patient/{outcome.patient_id}" if keep_patient_ref and outcome.patient_id else None
    record.user_ref = _shortened(outcome.user_id, MAX_USER_REF_CHARS)
    record.fhir_queries = outcome.fetched
    if outcome.evaluation is not None:
        record.in_population = outcome.evaluation.in_population
        record.failed_criteria = list(outcome.evaluation.failed)
        record.skipped_resources = [{"ref": s.ref, "reason": s.reason} for s in outcome.skipped]
        record.partial = bool(record.skipped_resources or record.failed_criteria)
        record.cards = (card_records(outcome.rendered, guideline, silent=False)
                        + card_records(outcome.silent_rendered, guideline, silent=True))
        if capture and outcome.replay_input is not None:
            record.capture = outcome.replay_input
    return record


def _shortened(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None
