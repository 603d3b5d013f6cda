"""document parties

Revision ID: 7d0c5e2a9b41
Revises: fcc578d5cca6

Documents belong to their parties: each issued document records the organisation that
issued it (only it, or an administrator with a reason, may supersede or revoke it) and the
USCCs of the legal persons it names (who may download a private PDF). Existing rows are
filled in from the issuing account's organisation and from the stored input data.
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7d0c5e2a9b41"
down_revision: str | None = "fcc578d5cca6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every party of every kind is a JSON object with a "uscc" member at the top of the data
# (owner/winner, client/provider, employer/contractor); nothing else there has one.
BACKFILL = """
UPDATE issued_document AS d
SET issuer_organisation_id = (SELECT u.organisation_id FROM user_account AS u WHERE u.id = d.issued_by),
    party_usccs = ARRAY(
        SELECT DISTINCT p.value ->> 'uscc'
        FROM jsonb_each(d.data) AS p
        WHERE jsonb_typeof(p.value) = 'object' AND p.value ? 'uscc'
        ORDER BY 1
    )
"""


def upgrade() -> None:
    op.add_column("issued_document", sa.Column("issuer_organisation_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "issued_document",
        sa.Column(
            "party_usccs", postgresql.ARRAY(sa.String(length=18)), server_default="{}", nullable=False
        ),
    )
    op.create_index(
        op.f("ix_issued_document_issuer_organisation_id"),
        "issued_document",
        ["issuer_organisation_id"],
        unique=False,
    )
    op.create_foreign_key(
        op.f("fk_issued_document_issuer_organisation_id_organisation"),
        "issued_document",
        "organisation",
        ["issuer_organisation_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_issued_document_issuer_organisation_id_organisation"), "issued_document", type_="foreignkey"
    )
    op.drop_index(op.f("ix_issued_document_issuer_organisation_id"), table_name="issued_document")
    op.drop_column("issued_document", "party_usccs")
    op.drop_column("issued_document", "issuer_organisation_id")
