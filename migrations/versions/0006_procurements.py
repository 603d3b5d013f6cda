"""procurements

Revision ID: 9e2b4c61d0a7
Revises: 5c0a1e7d2f94

Procurements (issue 11): the row an owner drafts and publishes (terms as JSONB, the
queried ones as columns, a version for compare-and-swap), every published version of the
terms with its diff, and the per-prefix, per-year counter behind reference numbers.
Create Date: 2026-11-30 01:49:01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9e2b4c61d0a7"
down_revision: str | None = "5c0a1e7d2f94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "procurement_sequence",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_number >= 1", name=op.f("ck_procurement_sequence_last_number_positive")),
        sa.PrimaryKeyConstraint("prefix", "year", name="pk_procurement_sequence"),
    )
    op.create_table(
        "procurement",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "intermediary_service", "small_works", name="procurement_kind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "bidding_closed",
                "opened",
                "selected",
                "failed",
                "cancelled",
                name="procurement_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owner_organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("division_code", sa.String(length=40), nullable=False),
        sa.Column("service_type", sa.String(length=40), nullable=True),
        sa.Column("work_field", sa.String(length=40), nullable=True),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ceiling", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("floor", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "quote_mode",
            sa.Enum("amount", "discount_rate", name="quote_mode", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("bid_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selection_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("next_check", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "reference IS NOT NULL OR status = 'draft'", name=op.f("ck_procurement_published_has_reference")
        ),
        sa.CheckConstraint("floor IS NULL OR floor > 0", name=op.f("ck_procurement_floor_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_procurement_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_procurement_owner_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procurement")),
        sa.UniqueConstraint("reference", name=op.f("uq_procurement_reference")),
    )
    op.create_index(
        "ix_procurement_next_check",
        "procurement",
        ["next_check"],
        unique=False,
        postgresql_where=sa.text("next_check IS NOT NULL"),
    )
    op.create_index(
        "ix_procurement_owner_organisation_id", "procurement", ["owner_organisation_id"], unique=False
    )
    op.create_index("ix_procurement_status_kind", "procurement", ["status", "kind"], unique=False)
    op.create_table(
        "procurement_version",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "diff",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_procurement_version_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_procurement_version_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_procurement_version_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procurement_version")),
        sa.UniqueConstraint("procurement_id", "sequence", name="uq_procurement_version_sequence"),
    )


def downgrade() -> None:
    op.drop_table("procurement_version")
    op.drop_index("ix_procurement_status_kind", table_name="procurement")
    op.drop_index("ix_procurement_owner_organisation_id", table_name="procurement")
    op.drop_index(
        "ix_procurement_next_check",
        table_name="procurement",
        postgresql_where=sa.text("next_check IS NOT NULL"),
    )
    op.drop_table("procurement")
    op.drop_table("procurement_sequence")
