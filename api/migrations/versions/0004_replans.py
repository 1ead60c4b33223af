"""Re-plans: a plan's ``replanned_from``, the day's ``batch`` and its ``changes``.

Existing plans are solves: the three columns stay null.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("replanned_from", sa.String(36), nullable=True))
        batch.add_column(sa.Column("batch", sa.JSON, nullable=True))
        batch.add_column(sa.Column("changes", sa.JSON, nullable=True))
        batch.create_foreign_key("fk_plans_replanned_from", "plans", ["replanned_from"], ["id"])
        batch.create_index("ix_plans_replanned_from", ["replanned_from"])


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_index("ix_plans_replanned_from")
        batch.drop_constraint("fk_plans_replanned_from", type_="foreignkey")
        batch.drop_column("changes")
        batch.drop_column("batch")
        batch.drop_column("replanned_from")
