"""re-publication rounds, small-works offers, the review step, direct selection requests

Revision ID: 9c2d3e4f5061
Revises: 8b1c2d3e4f50

Issue 12, the parts after the core draw:
- ``procurement.previous_id`` / ``attempt``: a procurement re-published after 流标 is a new
  procurement linked to the failed one (at most one successor each);
- ``procurement.review_deadline``: scored methods with technical scores are reviewed until then;
- ``contractor_offer``: the drawn contractor's confirm / decline / lapse, in the record's order;
- ``procurement_reviewer`` and ``review_score``: who reviews, and each score per criterion;
- ``direct_request``: the owner's request for direct selection after failed attempts, and the
  supervisor's decision.
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c2d3e4f5061"
down_revision: str | None = "8b1c2d3e4f50"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("procurement", sa.Column("previous_id", sa.BigInteger(), nullable=True))
    op.add_column("procurement", sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
    op.add_column("procurement", sa.Column("review_deadline", sa.DateTime(timezone=True), nullable=True))
    op.add_column("procurement", sa.Column("offer_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_procurement_previous_id_procurement"),
        "procurement",
        "procurement",
        ["previous_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_check_constraint(op.f("ck_procurement_attempt_positive"), "procurement", "attempt >= 1")
    op.create_index(
        "uq_procurement_previous_id",
        "procurement",
        ["previous_id"],
        unique=True,
        postgresql_where=sa.text("previous_id IS NOT NULL"),
    )
    op.create_table(
        "contractor_offer",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_contractor_offer_rank_positive")),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('confirmed', 'declined', 'lapsed', 'withdrawn')",
            name=op.f("ck_contractor_offer_answer_known"),
        ),
        sa.CheckConstraint(
            "(answer IS NULL) = (answered_at IS NULL)", name=op.f("ck_contractor_offer_answer_with_time")
        ),
        sa.CheckConstraint(
            "answer <> 'declined' OR char_length(reason) > 0",
            name=op.f("ck_contractor_offer_decline_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_contractor_offer_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_contractor_offer_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["user_account.id"],
            name=op.f("fk_contractor_offer_answered_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contractor_offer")),
        sa.UniqueConstraint("procurement_id", "round", "rank", name="uq_contractor_offer_rank"),
    )
    op.create_index("ix_contractor_offer_firm_id", "contractor_offer", ["firm_id"], unique=False)
    op.create_index(
        "ix_contractor_offer_open_due",
        "contractor_offer",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("answer IS NULL"),
    )
    op.create_table(
        "procurement_reviewer",
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_procurement_reviewer_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_procurement_reviewer_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["user_account.id"],
            name=op.f("fk_procurement_reviewer_added_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("procurement_id", "user_id", name="pk_procurement_reviewer"),
    )
    op.create_table(
        "review_score",
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= 100", name=op.f("ck_review_score_score_range")),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_review_score_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint(
            "procurement_id", "reviewer_id", "firm_id", "criterion", name="pk_review_score"
        ),
    )
    op.create_table(
        "direct_request",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), server_default="", nullable=False),
        sa.Column("successor_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('approved', 'rejected')",
            name=op.f("ck_direct_request_decision_known"),
        ),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)", name=op.f("ck_direct_request_decision_with_time")
        ),
        sa.CheckConstraint("char_length(reason) > 0", name=op.f("ck_direct_request_reason_given")),
        sa.CheckConstraint(
            "decision <> 'rejected' OR char_length(decision_note) > 0",
            name=op.f("ck_direct_request_rejection_says_why"),
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_direct_request_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_direct_request_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["user_account.id"],
            name=op.f("fk_direct_request_requested_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_direct_request_decided_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["procurement.id"],
            name=op.f("fk_direct_request_successor_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direct_request")),
    )
    op.create_index(
        "uq_direct_request_pending",
        "direct_request",
        ["procurement_id"],
        unique=True,
        postgresql_where=sa.text("decision IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_direct_request_pending", table_name="direct_request")
    op.drop_table("direct_request")
    op.drop_table("review_score")
    op.drop_table("procurement_reviewer")
    op.drop_index("ix_contractor_offer_open_due", table_name="contractor_offer")
    op.drop_index("ix_contractor_offer_firm_id", table_name="contractor_offer")
    op.drop_table("contractor_offer")
    op.drop_index("uq_procurement_previous_id", table_name="procurement")
    op.drop_constraint(op.f("ck_procurement_attempt_positive"), "procurement", type_="check")
    op.drop_constraint(op.f("fk_procurement_previous_id_procurement"), "procurement", type_="foreignkey")
    op.drop_column("procurement", "offer_due_at")
    op.drop_column("procurement", "review_deadline")
    op.drop_column("procurement", "attempt")
    op.drop_column("procurement", "previous_id")
