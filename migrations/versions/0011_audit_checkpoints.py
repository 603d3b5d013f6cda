"""published checkpoints of the audit chain

Revision ID: b1e4f5a6b7c8
Revises: a0d3e4f5a6b7

Issue 14: ``audit_checkpoint`` keeps each published head of the chain (seq, hash, when, why),
append-only like the log itself (the same refusing trigger); ``screen_review`` keeps the
supervisors' reviews of collusion-screen flags; an index of the log by object for histories.
Create Date: 2026-11-30 08:29:15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b1e4f5a6b7c8"
down_revision: str | None = "a0d3e4f5a6b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index(op.f("ix_audit_checkpoint_seq"), "audit_checkpoint", ["seq"], unique=False)
    op.create_table(
        "screen_review",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("flag", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("numbers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('dismissed', 'referred')", name=op.f("ck_screen_review_decision_known")
        ),
        sa.CheckConstraint("char_length(note) > 0", name=op.f("ck_screen_review_note_given")),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["user_account.id"],
            name=op.f("fk_screen_review_reviewed_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screen_review")),
    )
    op.create_index("ix_screen_review_flag", "screen_review", ["flag"], unique=False)
    op.create_index("ix_audit_entry_object", "audit_entry", ["object_type", "object_id", "id"], unique=False)
    op.execute(
        "CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint"
        " FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_checkpoint_append_only ON audit_checkpoint")
    op.execute("DROP TRIGGER audit_checkpoint_no_truncate ON audit_checkpoint")
    op.drop_index("ix_audit_entry_object", table_name="audit_entry")
    op.drop_index("ix_screen_review_flag", table_name="screen_review")
    op.drop_table("screen_review")
    op.drop_index(op.f("ix_audit_checkpoint_seq"), table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
