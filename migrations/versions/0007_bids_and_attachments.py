"""sealed bids, procurement attachments, idempotency records

Revision ID: 3f8a1d5c7e20
Revises: 9e2b4c61d0a7

Issue 11: the procurement's wrapped data key, sealed bids and their versions (no column
names the firm or the procurement in clear), the opening list, attachments with their
SHA-256, the answers kept for Idempotency-Key retries, and procurement.bids_valid_from
(the terms version bids must have been confirmed against to count).
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3f8a1d5c7e20"
down_revision: str | None = "9e2b4c61d0a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "procurement", sa.Column("bids_valid_from", sa.Integer(), server_default="1", nullable=False)
    )
    op.create_table(
        "procurement_key",
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_procurement_key_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("procurement_id", name=op.f("pk_procurement_key")),
    )
    op.create_table(
        "bid",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_tag", sa.String(length=64), nullable=False),
        sa.Column("bidder", sa.String(length=64), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("confirmed_terms_version", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("current_version >= 1", name=op.f("ck_bid_current_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid")),
    )
    op.create_index("ix_bid_procurement_tag", "bid", ["procurement_tag"], unique=False)
    op.create_index(
        "uq_bid_live_bidder",
        "bid",
        ["procurement_tag", "bidder"],
        unique=True,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_table(
        "bid_version",
        sa.Column("bid_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column(
            "attachments",
            postgresql.ARRAY(sa.LargeBinary()),
            server_default=sa.text("'{}'::bytea[]"),
            nullable=False,
        ),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_tag", sa.String(length=64), nullable=True),
        sa.Column("request_tag", sa.String(length=64), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_bid_version_version_positive")),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["bid.id"], name=op.f("fk_bid_version_bid_id_bid"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("bid_id", "version", name="pk_bid_version"),
    )
    op.create_index("uq_bid_version_digest", "bid_version", ["digest"], unique=True)
    op.create_index(
        "uq_bid_version_idempotency_tag",
        "bid_version",
        ["idempotency_tag"],
        unique=True,
        postgresql_where=sa.text("idempotency_tag IS NOT NULL"),
    )
    op.create_table(
        "bid_opening",
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("list_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_bid_opening_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("procurement_id", name=op.f("pk_bid_opening")),
    )
    op.create_table(
        "procurement_attachment",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_in_version", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_procurement_attachment_size_positive")),
        sa.CheckConstraint("char_length(sha256) = 64", name=op.f("ck_procurement_attachment_sha256_hex")),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_procurement_attachment_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["user_account.id"],
            name=op.f("fk_procurement_attachment_uploaded_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procurement_attachment")),
    )
    op.create_index(
        "ix_procurement_attachment_procurement_id", "procurement_attachment", ["procurement_id"], unique=False
    )
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_idempotency_record_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_record_user_scope_key"),
    )
    op.create_index("ix_idempotency_record_created_at", "idempotency_record", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_idempotency_record_created_at", table_name="idempotency_record")
    op.drop_table("idempotency_record")
    op.drop_index("ix_procurement_attachment_procurement_id", table_name="procurement_attachment")
    op.drop_table("procurement_attachment")
    op.drop_table("bid_opening")
    op.drop_index("uq_bid_version_idempotency_tag", table_name="bid_version")
    op.drop_index("uq_bid_version_digest", table_name="bid_version")
    op.drop_table("bid_version")
    op.drop_index("uq_bid_live_bidder", table_name="bid")
    op.drop_index("ix_bid_procurement_tag", table_name="bid")
    op.drop_table("bid")
    op.drop_table("procurement_key")
    op.drop_column("procurement", "bids_valid_from")
