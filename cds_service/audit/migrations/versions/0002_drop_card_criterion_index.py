"""drop the (criterion_id, received_at) index of audit_card: no review query uses it, and every card
insert paid for it (the dashboard groups a received_at range, the call list joins cards by call_id)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_card", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_card_criterion_received")


def downgrade() -> None:
    with op.batch_alter_table("audit_card", schema=None) as batch_op:
        batch_op.create_index("ix_audit_card_criterion_received", ["criterion_id", "received_at"], unique=False)
