"""after the selection: award, objections, contract, delivery, evaluation, time limits

Revision ID: a0d3e4f5a6b7
Revises: 9c2d3e4f5061

Issue 13 (market/models/award.py says what each table holds):
- ``award``: the winner a round put forward, with its publicity, award and documents;
- ``objection``: 质疑 with the owner's answer and the complaint (投诉) a supervisor decides;
- ``contract_signing``: the drafted contract, both parties' confirmations, the issued PDF;
- ``delivery`` and ``procurement_evaluation``: the service result or completion, its
  acceptance, the owner's evaluation and the firm's one objection to it;
- ``case_file``: files lodged with those; ``time_limit``: every time-limited action;
- ``procurement``: the clock's new due times (publicity end, earliest limit, redraw freeze)
  and the count of open objections; ``organisation.representative`` for the contracts.
Create Date: 2026-11-30 08:14:52
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a0d3e4f5a6b7"
down_revision: str | None = "9c2d3e4f5061"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "subject IN ('objection', 'complaint', 'delivery')", name=op.f("ck_case_file_subject_known")
        ),
        sa.CheckConstraint("char_length(sha256) = 64", name=op.f("ck_case_file_sha256_hex")),
        sa.CheckConstraint("size > 0", name=op.f("ck_case_file_size_positive")),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_case_file_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["user_account.id"],
            name=op.f("fk_case_file_uploaded_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
    )
    op.create_index("ix_case_file_procurement_id", "case_file", ["procurement_id"], unique=False)
    op.create_index("ix_case_file_subject", "case_file", ["subject", "subject_id"], unique=False)
    op.create_table(
        "time_limit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("party", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "party IN ('owner', 'firm', 'supervisor')", name=op.f("ck_time_limit_party_known")
        ),
        sa.CheckConstraint("due_at >= started_at", name=op.f("ck_time_limit_due_after_start")),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_time_limit_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_limit")),
        sa.UniqueConstraint("subject", "action", name="uq_time_limit_subject_action"),
    )
    op.create_index(
        "ix_time_limit_open_due",
        "time_limit",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("done_at IS NULL AND cancelled_at IS NULL"),
    )
    op.create_index("ix_time_limit_procurement_id", "time_limit", ["procurement_id"], unique=False)
    op.create_table(
        "award",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("publicity_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_notice_id", sa.String(length=64), nullable=True),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selection_notice_id", sa.String(length=64), nullable=True),
        sa.Column("contract_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=12), nullable=True),
        sa.Column("ended_note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "ended_reason IS NULL OR ended_reason IN ('voided', 'replaced')",
            name=op.f("ck_award_ending_known"),
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (ended_reason IS NULL)", name=op.f("ck_award_ending_with_reason")
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_award_amount_not_negative")),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_award_rank_positive")),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_award_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_award_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["result_notice_id"],
            ["issued_document.id"],
            name=op.f("fk_award_result_notice_id_issued_document"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["selection_notice_id"],
            ["issued_document.id"],
            name=op.f("fk_award_selection_notice_id_issued_document"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award")),
    )
    op.create_index("ix_award_firm_id", "award", ["firm_id"], unique=False)
    op.create_index("ix_award_procurement_id", "award", ["procurement_id"], unique=False)
    op.create_index(
        "uq_award_current",
        "award",
        ["procurement_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "contract_signing",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("drafted_by", sa.BigInteger(), nullable=True),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("owner_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("firm_confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("firm_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", sa.String(length=64), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("char_length(digest) = 64", name=op.f("ck_contract_signing_digest_hex")),
        sa.CheckConstraint(
            "firm_confirmed_at IS NULL OR owner_confirmed_at IS NOT NULL",
            name=op.f("ck_contract_signing_owner_first"),
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_contract_signing_award_id_award"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["issued_document.id"],
            name=op.f("fk_contract_signing_document_id_issued_document"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by"],
            ["user_account.id"],
            name=op.f("fk_contract_signing_drafted_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_confirmed_by"],
            ["user_account.id"],
            name=op.f("fk_contract_signing_firm_confirmed_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_confirmed_by"],
            ["user_account.id"],
            name=op.f("fk_contract_signing_owner_confirmed_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_contract_signing_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_signing")),
        sa.UniqueConstraint("award_id", "sequence", name="uq_contract_signing_sequence"),
    )
    op.create_index(
        "uq_contract_signing_current",
        "contract_signing",
        ["award_id"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("submitted_by", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=12), nullable=True),
        sa.Column("decision_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "decision IS DISTINCT FROM 'returned' OR char_length(decision_reason) > 0",
            name=op.f("ck_delivery_return_has_reason"),
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('accepted', 'returned')",
            name=op.f("ck_delivery_decision_known"),
        ),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)", name=op.f("ck_delivery_decision_with_time")
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_delivery_award_id_award"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_delivery_decided_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_delivery_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["user_account.id"],
            name=op.f("fk_delivery_submitted_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("award_id", "sequence", name="uq_delivery_sequence"),
    )
    op.create_index("ix_delivery_procurement_id", "delivery", ["procurement_id"], unique=False)
    op.create_table(
        "objection",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("lodged_by", sa.BigInteger(), nullable=True),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("against_firm_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="open", nullable=False),
        sa.Column("answer_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("answer_decision", sa.String(length=12), nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complaint_grounds", sa.Text(), server_default="", nullable=False),
        sa.Column("complained_by", sa.BigInteger(), nullable=True),
        sa.Column("complained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=12), nullable=True),
        sa.Column("decision_note", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.CheckConstraint(
            "answer_decision IS NULL OR answer_decision IN ('upheld', 'dismissed')",
            name=op.f("ck_objection_answer_known"),
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('upheld', 'dismissed')",
            name=op.f("ck_objection_decision_known"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'dismissed')", name=op.f("ck_objection_outcome_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'complaint', 'closed')", name=op.f("ck_objection_status_known")
        ),
        sa.CheckConstraint(
            "(answer_decision IS NULL) = (answered_at IS NULL)", name=op.f("ck_objection_answer_with_time")
        ),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)", name=op.f("ck_objection_decision_with_time")
        ),
        sa.CheckConstraint("char_length(grounds) > 0", name=op.f("ck_objection_grounds_given")),
        sa.ForeignKeyConstraint(
            ["against_firm_id"],
            ["firm.id"],
            name=op.f("fk_objection_against_firm_id_firm"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["user_account.id"],
            name=op.f("fk_objection_answered_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_objection_award_id_award"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["complained_by"],
            ["user_account.id"],
            name=op.f("fk_objection_complained_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_objection_decided_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_objection_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["lodged_by"],
            ["user_account.id"],
            name=op.f("fk_objection_lodged_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_objection_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
        sa.UniqueConstraint("award_id", "firm_id", name="uq_objection_award_firm"),
    )
    op.create_index("ix_objection_firm_id", "objection", ["firm_id"], unique=False)
    op.create_index("ix_objection_procurement_id", "objection", ["procurement_id"], unique=False)
    op.create_table(
        "procurement_evaluation",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("procurement_id", sa.BigInteger(), nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("evaluated_by", sa.BigInteger(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_evaluation_id", sa.BigInteger(), nullable=True),
        sa.Column("objection_grounds", sa.Text(), server_default="", nullable=False),
        sa.Column("objected_by", sa.BigInteger(), nullable=True),
        sa.Column("objected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection_decision", sa.String(length=12), nullable=True),
        sa.Column("objection_note", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "objection_decision IS NULL OR objection_decision IN ('upheld', 'dismissed')",
            name=op.f("ck_procurement_evaluation_objection_decision_known"),
        ),
        sa.CheckConstraint(
            "(objection_decision IS NULL) = (decided_at IS NULL)",
            name=op.f("ck_procurement_evaluation_decision_with_time"),
        ),
        sa.CheckConstraint(
            "decided_at IS NULL OR objected_at IS NOT NULL",
            name=op.f("ck_procurement_evaluation_decided_after_objection"),
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_procurement_evaluation_rating_range")),
        sa.ForeignKeyConstraint(
            ["award_id"],
            ["award.id"],
            name=op.f("fk_procurement_evaluation_award_id_award"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_procurement_evaluation_decided_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evaluated_by"],
            ["user_account.id"],
            name=op.f("fk_procurement_evaluation_evaluated_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_procurement_evaluation_firm_id_firm"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["objected_by"],
            ["user_account.id"],
            name=op.f("fk_procurement_evaluation_objected_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_procurement_evaluation_procurement_id_procurement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_evaluation_id"],
            ["service_evaluation.id"],
            name=op.f("fk_procurement_evaluation_service_evaluation_id_service_evaluation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procurement_evaluation")),
        sa.UniqueConstraint("procurement_id", "firm_id", name="uq_procurement_evaluation_firm"),
    )
    op.create_index("ix_procurement_evaluation_firm_id", "procurement_evaluation", ["firm_id"], unique=False)
    op.add_column(
        "organisation", sa.Column("representative", sa.String(length=100), server_default="", nullable=False)
    )
    op.add_column("procurement", sa.Column("publicity_ends_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "procurement", sa.Column("objections_open", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("procurement", sa.Column("limit_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("procurement", sa.Column("redraw_freeze_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_procurement_objections_open_not_negative"), "procurement", "objections_open >= 0"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_procurement_objections_open_not_negative"), "procurement", type_="check")
    op.drop_column("procurement", "redraw_freeze_at")
    op.drop_column("procurement", "limit_due_at")
    op.drop_column("procurement", "objections_open")
    op.drop_column("procurement", "publicity_ends_at")
    op.drop_column("organisation", "representative")
    op.drop_index("ix_procurement_evaluation_firm_id", table_name="procurement_evaluation")
    op.drop_table("procurement_evaluation")
    op.drop_index("ix_objection_procurement_id", table_name="objection")
    op.drop_index("ix_objection_firm_id", table_name="objection")
    op.drop_table("objection")
    op.drop_index("ix_delivery_procurement_id", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index(
        "uq_contract_signing_current",
        table_name="contract_signing",
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_table("contract_signing")
    op.drop_index("uq_award_current", table_name="award", postgresql_where=sa.text("ended_at IS NULL"))
    op.drop_index("ix_award_procurement_id", table_name="award")
    op.drop_index("ix_award_firm_id", table_name="award")
    op.drop_table("award")
    op.drop_index("ix_time_limit_procurement_id", table_name="time_limit")
    op.drop_index(
        "ix_time_limit_open_due",
        table_name="time_limit",
        postgresql_where=sa.text("done_at IS NULL AND cancelled_at IS NULL"),
    )
    op.drop_table("time_limit")
    op.drop_index("ix_case_file_subject", table_name="case_file")
    op.drop_index("ix_case_file_procurement_id", table_name="case_file")
    op.drop_table("case_file")
