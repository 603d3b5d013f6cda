"""calendar years

Revision ID: 5c0a1e7d2f94
Revises: 7d0c5e2a9b41

Years of China's working-day calendar (holidays and swapped working weekends) imported by
an administrator, overriding the chinese-calendar library for their year (docs/calendar.md).
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c0a1e7d2f94"
# 0003 for now; the integrator re-chains this after 0004 lands
down_revision: str | None = "7d0c5e2a9b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("notice", sa.String(length=300), server_default="", nullable=False),
        sa.Column("holidays", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("working_days", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_by_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("year BETWEEN 2000 AND 2199", name=op.f("ck_calendar_year_year_range")),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["user_account.id"],
            name=op.f("fk_calendar_year_imported_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
    )


def downgrade() -> None:
    op.drop_table("calendar_year")
