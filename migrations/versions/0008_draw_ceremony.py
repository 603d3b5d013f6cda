"""the draw ceremony: rounds, commitments, reveals, selection records

Revision ID: 8b1c2d3e4f50
Revises: 3f8a1d5c7e20

Issue 12 (market-draw/2): per procurement and round the reveal deadline, the declared beacon
and its value, the platform's secret sealed under the key file, the frozen documents with
their digests and audit entry; each party's commitment (unique across all procurements and
rounds), each reveal, and the selection record (one per procurement and round).
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8b1c2d3e4f50"
down_revision: str | None = "3f8a1d5c7e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draw_round",
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reveal_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beacon_source", sa.String(length=40), nullable=False),
        sa.Column("beacon_reference", sa.String(length=200), nullable=False),
        sa.Column("beacon_form", sa.String(length=20), nullable=False),
        sa.Column("beacon_value", sa.String(length=100), nullable=True),
        sa.Column("beacon_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("beacon_entered_by", sa.BigInteger(), nullable=True),
        sa.Column("platform_secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("platform_secret_key_id", sa.String(length=64), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("frozen_documents", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("freeze_digests", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("freeze_audit_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("round >= 1", name=op.f("ck_draw_round_round_positive")),
        sa.CheckConstraint(
            "(beacon_value IS NULL) = (beacon_at IS NULL)", name=op.f("ck_draw_round_beacon_value_with_time")
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_draw_round_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("procurement_id", "round", name="pk_draw_round"),
    )
    op.create_table(
        "draw_commitment",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("committed_by", sa.BigInteger(), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("char_length(commitment) = 64", name=op.f("ck_draw_commitment_commitment_hex")),
        sa.CheckConstraint(
            "party IN ('platform', 'owner', 'supervisor')", name=op.f("ck_draw_commitment_party_known")
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id", "round"],
            ["draw_round.procurement_id", "draw_round.round"],
            name=op.f("fk_draw_commitment_procurement_id_draw_round"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draw_commitment")),
        sa.UniqueConstraint("procurement_id", "round", "party", name="uq_draw_commitment_party"),
    )
    op.create_index("uq_draw_commitment_commitment", "draw_commitment", ["commitment"], unique=True)
    op.create_table(
        "draw_reveal",
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_by", sa.BigInteger(), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "party IN ('platform', 'owner', 'supervisor')", name=op.f("ck_draw_reveal_party_known")
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id", "round"],
            ["draw_round.procurement_id", "draw_round.round"],
            name=op.f("fk_draw_reveal_procurement_id_draw_round"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("procurement_id", "round", "party", name="pk_draw_reveal"),
    )
    op.create_table(
        "selection_record",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('selected', 'failed')", name=op.f("ck_selection_record_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_selection_record_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_record")),
        sa.UniqueConstraint("procurement_id", "round", name="uq_selection_record_procurement_round"),
    )


def downgrade() -> None:
    op.drop_table("selection_record")
    op.drop_table("draw_reveal")
    op.drop_index("uq_draw_commitment_commitment", table_name="draw_commitment")
    op.drop_table("draw_commitment")
    op.drop_table("draw_round")
