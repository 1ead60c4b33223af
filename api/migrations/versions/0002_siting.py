"""Siting jobs: ``jobs.kind`` and the ``siting_results`` table.

Existing jobs are batch solves, so the new column defaults to ``batch``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("jobs", sa.Column("kind", sa.String(32), nullable=False, server_default="batch"))
    op.create_table(
        "siting_results",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id"), nullable=False, unique=True),
        sa.Column("county_id", sa.Integer, sa.ForeignKey("counties.id"), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_siting_results_county_id", "siting_results", ["county_id"])


def downgrade() -> None:
    op.drop_table("siting_results")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("kind")
