"""What the audit trail keeps of one hook call and of one feedback item.

Built from the pipeline's `HookOutcome` (cds_service/audit/outcome.py): the cards returned and the
silent ones (criterion, indicator, summary, the observed values and the thresholds in force,
suggestion uuids), the FHIR paths queried, the guideline version and config hash, the caller's JWT
`iss` and `jti`. Never a token: the optional request capture keeps `context` and the resolved
prefetch, not `fhirAuthorization` or `fhirServer`. Records are plain dataclasses so the spool can
write them as JSON lines and read them back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cards.ids import new_hex_id
from cds_service.schemas import FeedbackItem


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
