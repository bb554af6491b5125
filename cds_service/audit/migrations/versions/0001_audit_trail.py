"""audit trail: calls, cards, feedback, captures, jti replay guard

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_call",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("hook_instance", sa.String(length=255), nullable=True),
        sa.Column("service_id", sa.String(length=100), nullable=False),
        sa.Column("hook", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("patient_pseudonym", sa.String(length=64), nullable=True),
        sa.Column("patient_ref", sa.String(length=100), nullable=True),
        sa.Column("user_ref", sa.String(length=255), nullable=True),
        sa.Column("jwt_iss", sa.String(length=255), nullable=True),
        sa.Column("jwt_jti", sa.String(length=255), nullable=True),
        sa.Column("fhir_queries", sa.JSON(), nullable=False),
        sa.Column("guideline_version", sa.String(length=40), nullable=False),
        sa.Column("guideline_sha256", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("in_population", sa.Boolean(), nullable=True),
        sa.Column("failed_criteria", sa.JSON(), nullable=False),
        sa.Column("card_count", sa.Integer(), nullable=False),
        sa.Column("silent_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_call")),
        sa.UniqueConstraint("record_id", name=op.f("uq_audit_call_record_id")),
    )
    with op.batch_alter_table("audit_call", schema=None) as batch_op:
        batch_op.create_index("ix_audit_call_patient", ["patient_pseudonym"], unique=False)
        batch_op.create_index("ix_audit_call_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_audit_call_service_received", ["service_id", "received_at"], unique=False)

    op.create_table(
        "audit_feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.String(length=100), nullable=False),
        sa.Column("card_uuid", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("accepted_key", sa.String(length=512), nullable=False),
        sa.Column("override_system", sa.String(length=255), nullable=True),
        sa.Column("override_code", sa.String(length=100), nullable=True),
        sa.Column("override_display", sa.String(length=255), nullable=True),
        sa.Column("override_comment", sa.Text(), nullable=True),
        sa.Column("outcome_timestamp", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("card_known", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_feedback")),
        sa.UniqueConstraint(
            "service_id", "card_uuid", "outcome", "accepted_key", "outcome_timestamp", name="uq_audit_feedback_item"
        ),
    )
    with op.batch_alter_table("audit_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_audit_feedback_card", ["card_uuid"], unique=False)
        batch_op.create_index("ix_audit_feedback_received", ["received_at"], unique=False)

    if not sa.inspect(op.get_bind()).has_table("auth_replay"):  # made by the earlier SQLite-only guard
        _auth_replay()

    op.create_table(
        "audit_capture",
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["audit_call.id"], name=op.f("fk_audit_capture_call_id_audit_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_audit_capture")),
    )
    with op.batch_alter_table("audit_capture", schema=None) as batch_op:
        batch_op.create_index("ix_audit_capture_captured", ["captured_at"], unique=False)

    op.create_table(
        "audit_card",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("criterion_id", sa.String(length=20), nullable=False),
        sa.Column("indicator", sa.String(length=10), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("observed", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("suggestion_uuids", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["audit_call.id"], name=op.f("fk_audit_card_call_id_audit_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_card")),
        sa.UniqueConstraint("uuid", name=op.f("uq_audit_card_uuid")),
    )
    with op.batch_alter_table("audit_card", schema=None) as batch_op:
        batch_op.create_index("ix_audit_card_call", ["call_id"], unique=False)
        batch_op.create_index("ix_audit_card_criterion_received", ["criterion_id", "received_at"], unique=False)
        batch_op.create_index("ix_audit_card_received", ["received_at"], unique=False)


def _auth_replay() -> None:
    op.create_table(
        "auth_replay",
        sa.Column("iss", sa.String(length=255), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("iss", "jti", name=op.f("pk_auth_replay")),
    )
    with op.batch_alter_table("auth_replay", schema=None) as batch_op:
        batch_op.create_index("auth_replay_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_card", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_card_received")
        batch_op.drop_index("ix_audit_card_criterion_received")
        batch_op.drop_index("ix_audit_card_call")

    op.drop_table("audit_card")
    with op.batch_alter_table("audit_capture", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_capture_captured")

    op.drop_table("audit_capture")
    with op.batch_alter_table("auth_replay", schema=None) as batch_op:
        batch_op.drop_index("auth_replay_expires_at")

    op.drop_table("auth_replay")
    with op.batch_alter_table("audit_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_feedback_received")
        batch_op.drop_index("ix_audit_feedback_card")

    op.drop_table("audit_feedback")
    with op.batch_alter_table("audit_call", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_call_service_received")
        batch_op.drop_index("ix_audit_call_received_at")
        batch_op.drop_index("ix_audit_call_patient")

    op.drop_table("audit_call")
