"""record the resources a call could not read, and whether its evaluation was partial

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped_resources", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("partial", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_call", schema=None) as batch_op:
        batch_op.drop_column("partial")
        batch_op.drop_column("skipped_resources")
