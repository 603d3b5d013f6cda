"""Issued documents (sealed PDFs) and the template versions they were rendered with."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from contracts import DocumentKind
from market.models.base import Base


class DocumentStatus(enum.StrEnum):
    VALID = "valid"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        """The status as the verification page and the check of a copy say it."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    DocumentStatus.VALID: "有效",
    DocumentStatus.SUPERSEDED: "已被新版本替代",
    DocumentStatus.REVOKED: "已撤销",
}


class DocumentTemplate(Base):
    """One uploaded version of a city's model document (示范文本). Never changed; a new
    upload of the same name gets the next sequence number."""

    __tablename__ = "document_template"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    sequence: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(140), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("uq_document_template_name_sequence", "name", "sequence", unique=True),)


class IssuedDocument(Base):
    """A sealed PDF exactly as issued, with what is needed to render it again."""

    __tablename__ = "issued_document"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # printed in the QR code
    kind: Mapped[str] = mapped_column(String(32))
    document_number: Mapped[str] = mapped_column(String(80))
    procurement_reference: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the input data, canonical
    template_version: Mapped[str] = mapped_column(String(140))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("document_template.id", ondelete="RESTRICT"))
    content_digest: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    signer: Mapped[str] = mapped_column(String(400))
    signed_at: Mapped[datetime]
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(
            DocumentStatus,
            name="document_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DocumentStatus.VALID,
        server_default=DocumentStatus.VALID.value,
    )
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("issued_document.id", ondelete="RESTRICT"))
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The organisation the document belongs to (采购人 acting through its accounts): only it,
    # or an administrator giving a reason, may supersede or revoke it. NULL when the issuing
    # account belonged to no organisation; then the account itself stands for the issuer.
    issuer_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    # The USCCs of the legal persons named in the document (甲方/乙方, owner/winner), taken
    # from its data at issue, so that "may this account read it?" needs no JSON digging.
    party_usccs: Mapped[list[str]] = mapped_column(ARRAY(String(18)), default=list, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        """The document's title in Chinese (:attr:`contracts.DocumentKind.label`)."""
        try:
            return DocumentKind(self.kind).label
        except ValueError:  # a kind this version no longer issues still shows as stored
            return self.kind
