"""an index of procurements by publication time

Revision ID: c2f5a6b7c8d9
Revises: b1e4f5a6b7c8

Issue 14: the statistics read a period's procurements, and the same days a year before, by
``published_at``; without an index the year before alone scanned every procurement.
Create Date: 2026-11-30 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2f5a6b7c8d9"
down_revision: str | None = "b1e4f5a6b7c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_procurement_published_at",
        "procurement",
        ["published_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_procurement_published_at",
        table_name="procurement",
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
