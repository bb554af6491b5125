"""Audit tables. Times are naive UTC; JSON columns hold what fired and why, never whole resources
(except `audit_capture`, the opt-in request capture for replay).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}
metadata = MetaData(naming_convention=NAMING)
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only

calls = Table(
    "audit_call", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_id", String(32), nullable=False, unique=True),  # idempotency key (spool replay)
    Column("hook_instance", String(255)),
    Column("service_id", String(100), nullable=False),
    Column("hook", String(40)),
    Column("received_at", DateTime(), nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("status", Integer, nullable=False),
    Column("error", Text),
    Column("patient_pseudonym", String(64)),
    Column("patient_ref", String(100)),
    Column("user_ref", String(255)),
    Column("jwt_iss", String(255)),
    Column("jwt_jti", String(255)),
    Column("tenant", String(255)),  # the token's tenant claim, when it has one (0004)
    Column("fhir_queries", JSON, nullable=False),
    Column("guideline_version", String(40), nullable=False),
    Column("guideline_sha256", String(64), nullable=False),
    Column("as_of", Date),
    Column("in_population", Boolean),
    Column("failed_criteria", JSON, nullable=False),
    Column("skipped_resources", JSON),  # [{"ref", "reason"}]: resources that could not be read (0003)
    Column("partial", Boolean),  # skipped resources or failed criteria: not everything was checked (0003)
    Column("card_count", Integer, nullable=False),
    Column("silent_count", Integer, nullable=False),
    Index("ix_audit_call_received_at", "received_at"),
    Index("ix_audit_call_service_received", "service_id", "received_at"),
    Index("ix_audit_call_patient", "patient_pseudonym"),
)

cards = Table(
    "audit_card", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("call_id", Id, ForeignKey("audit_call.id", ondelete="CASCADE"), nullable=False),
    Column("uuid", String(64), nullable=False, unique=True),
    Column("criterion_id", String(20), nullable=False),
    Column("indicator", String(10), nullable=False),
    Column("silent", Boolean, nullable=False),
    Column("summary", Text, nullable=False),
    Column("observed", JSON, nullable=False),
    Column("thresholds", JSON, nullable=False),
    Column("suggestion_uuids", JSON, nullable=False),
    Column("suggestion_labels", JSON),  # in the order of suggestion_uuids: which suggestion was accepted (0004)
    Column("received_at", DateTime(), nullable=False),  # the call's, so charts need no join
    Index("ix_audit_card_call", "call_id"),
    Index("ix_audit_card_received", "received_at"),
)

feedback = Table(
    "audit_feedback", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("service_id", String(100), nullable=False),
    Column("card_uuid", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("accepted_key", String(512), nullable=False),  # sorted suggestion ids, for the unique key
    Column("override_system", String(255)),
    Column("override_code", String(100)),
    Column("override_display", String(255)),
    Column("override_comment", Text),
    Column("standard_code", String(100)),  # the HL7 non-adherence reason code of the override (0004)
    Column("outcome_timestamp", DateTime(), nullable=False),
    Column("received_at", DateTime(), nullable=False),
    Column("card_known", Boolean, nullable=False),  # False: feedback for a card this service never recorded
    UniqueConstraint("service_id", "card_uuid", "outcome", "accepted_key", "outcome_timestamp",
                     name="uq_audit_feedback_item"),
    Index("ix_audit_feedback_card", "card_uuid"),
    Index("ix_audit_feedback_received", "received_at"),
    Index("ix_audit_feedback_unknown", "card_known", "received_at"),
)

# Daily rollups (cds_service/audit/rollup.py): written with each batch of calls or feedback, rebuilt by
# `hamstring-cds audit rollup --rebuild`. `key` is a hash of the dimensions (the upsert's conflict key);
# criterion_id '' is the row of the calls themselves. Counts only: no patient, card text or comment.
ROLLUP_DIMENSIONS = ("day", "guideline_version", "service_id", "hook", "issuer", "tenant", "criterion_id")


def _dimensions() -> list[Column]:  # type: ignore[type-arg]
    return [Column("day", Date, nullable=False), Column("guideline_version", String(40), nullable=False),
            Column("service_id", String(100), nullable=False), Column("hook", String(40), nullable=False),
            Column("issuer", String(255), nullable=False), Column("tenant", String(255), nullable=False),
            Column("criterion_id", String(20), nullable=False)]


rollup = Table(
    "audit_rollup", metadata,
    Column("key", String(64), primary_key=True),
    *_dimensions(),
    Column("calls", Integer, nullable=False),  # calls (criterion ''), else 0
    Column("in_population", Integer, nullable=False),
    Column("error_calls", Integer, nullable=False),
    Column("zero_card_calls", Integer, nullable=False),
    Column("partial_calls", Integer, nullable=False),
    Column("skipped_calls", Integer, nullable=False),  # calls with resources that could not be read
    Column("skipped_resources", Integer, nullable=False),
    Column("shown", Integer, nullable=False),  # cards returned
    Column("silent", Integer, nullable=False),  # cards evaluated silently ("would have fired")
    Column("failed", Integer, nullable=False),  # calls in which the criterion raised
    Column("answered", Integer, nullable=False),  # cards with any feedback
    Column("accepted", Integer, nullable=False),  # cards with an accepted suggestion
    Column("overridden", Integer, nullable=False),  # cards overridden
    Index("ix_audit_rollup_day", "day"),
)

rollup_feedback = Table(
    "audit_rollup_feedback", metadata,
    Column("key", String(64), primary_key=True),
    *_dimensions(),
    Column("outcome", String(20), nullable=False),
    Column("suggestion", String(255), nullable=False),  # accepted: the suggestion's label
    Column("reason_system", String(255), nullable=False),  # overridden: the reason as sent
    Column("reason_code", String(100), nullable=False),
    Column("reason_display", String(255), nullable=False),
    Column("standard_code", String(100), nullable=False),  # its non-adherence reason code, '' if none
    Column("item_count", Integer, nullable=False),
    Index("ix_audit_rollup_feedback_day", "day"),
)

rollup_latency = Table(
    "audit_rollup_latency", metadata,
    Column("key", String(64), primary_key=True),
    Column("day", Date, nullable=False),
    Column("service_id", String(100), nullable=False),
    Column("bucket", Integer, nullable=False),  # latency <= 10 ** (bucket / 20) ms (12 % steps)
    Column("calls", Integer, nullable=False),
    Index("ix_audit_rollup_latency_day", "day"),
)

captures = Table(
    "audit_capture", metadata,
    Column("call_id", Id, ForeignKey("audit_call.id", ondelete="CASCADE"), primary_key=True),
    Column("captured_at", DateTime(), nullable=False),
    Column("request", JSON, nullable=False),
    Index("ix_audit_capture_captured", "captured_at"),
)

# The JWT jti replay guard (cds_service.auth.replay): same table and statement as its SQLite guard.
auth_replay = Table(
    "auth_replay", metadata,
    Column("iss", String(255), primary_key=True),
    Column("jti", String(255), primary_key=True),
    Column("expires_at", Float, nullable=False),
    Index("auth_replay_expires_at", "expires_at"),
)
