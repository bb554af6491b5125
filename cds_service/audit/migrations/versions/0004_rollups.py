"""daily rollups of calls, cards and feedback (the review dashboard, analytics and monitoring read them
instead of scanning calls); the token's tenant, card suggestion labels and the standard override code

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Existing calls are not rolled up here: run `hamstring-cds audit rollup --rebuild` once after upgrading.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNTS = ("calls", "in_population", "error_calls", "zero_card_calls", "partial_calls", "skipped_calls",
          "skipped_resources", "shown", "silent", "failed", "answered", "accepted", "overridden")


def _dimensions() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("day", sa.Date(), nullable=False), sa.Column("guideline_version", sa.String(40), nullable=False),
            sa.Column("service_id", sa.String(100), nullable=False), sa.Column("hook", sa.String(40), nullable=False),
            sa.Column("issuer", sa.String(255), nullable=False), sa.Column("tenant", sa.String(255), nullable=False),
            sa.Column("criterion_id", sa.String(20), nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table("audit_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant", sa.String(255), nullable=True))
    with op.batch_alter_table("audit_card", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggestion_labels", sa.JSON(), nullable=True))
    with op.batch_alter_table("audit_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standard_code", sa.String(100), nullable=True))
        batch_op.create_index("ix_audit_feedback_unknown", ["card_known", "received_at"], unique=False)
    op.create_table(
        "audit_rollup",
        sa.Column("key", sa.String(64), nullable=False),
        *_dimensions(),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.PrimaryKeyConstraint("key", name=op.f("pk_audit_rollup")),
    )
    op.create_index("ix_audit_rollup_day", "audit_rollup", ["day"], unique=False)
    op.create_table(
        "audit_rollup_feedback",
        sa.Column("key", sa.String(64), nullable=False),
        *_dimensions(),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("suggestion", sa.String(255), nullable=False),
        sa.Column("reason_system", sa.String(255), nullable=False),
        sa.Column("reason_code", sa.String(100), nullable=False),
        sa.Column("reason_display", sa.String(255), nullable=False),
        sa.Column("standard_code", sa.String(100), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_audit_rollup_feedback")),
    )
    op.create_index("ix_audit_rollup_feedback_day", "audit_rollup_feedback", ["day"], unique=False)
    op.create_table(
        "audit_rollup_latency",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_audit_rollup_latency")),
    )
    op.create_index("ix_audit_rollup_latency_day", "audit_rollup_latency", ["day"], unique=False)


def downgrade() -> None:
    for table in ("audit_rollup_latency", "audit_rollup_feedback", "audit_rollup"):
        op.drop_index(f"ix_{table}_day", table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("audit_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_feedback_unknown")
        batch_op.drop_column("standard_code")
    with op.batch_alter_table("audit_card", schema=None) as batch_op:
        batch_op.drop_column("suggestion_labels")
    with op.batch_alter_table("audit_call", schema=None) as batch_op:
        batch_op.drop_column("tenant")
