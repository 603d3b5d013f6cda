"""Issue a document: render, seal, and describe the result for storage and audit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader

from contracts.model import Document, DocumentKind
from contracts.rendering import RenderSettings, render_unsigned
from contracts.seal import SealConfig, load_seal, sign_pdf
from contracts.templating import TemplateSource


@dataclass(frozen=True)
class IssuedDocument:
    """A sealed document, ready to be stored with its procurement.

    ``sha256`` is the hex SHA-256 of ``pdf`` (the signed file, exactly as issued);
    ``content_digest`` the hash of data + template version + frame version printed in
    the footer; ``signed_at`` the signing time embedded in the signature (UTC).
    """

    document_id: str
    kind: DocumentKind
    document_number: str
    procurement_reference: str
    template_version: str
    content_digest: str
    verify_url: str
    sha256: str
    signed_at: datetime
    page_count: int
    signer: str
    pdf: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """Size of the PDF in bytes."""
        return len(self.pdf)


def issue_document(document: Document, settings: RenderSettings, seal: SealConfig,
                   template: TemplateSource | None = None,
                   document_id: str | None = None) -> IssuedDocument:
    """Render ``document`` with ``template`` (default: built-in) and seal it. CPU-bound:
    call it from a worker (see :mod:`contracts.workers`), never on the event loop.

    Raises :class:`InvalidDocumentData`, a :class:`TemplateRejected` subclass or
    :class:`SealError`.
    """
    loaded = load_seal(seal)
    unsigned = render_unsigned(document, settings, template, document_id)
    signed = sign_pdf(unsigned.pdf, loaded, unsigned.seal)
    return IssuedDocument(
        document_id=unsigned.document_id, kind=unsigned.kind,
        document_number=unsigned.document_number,
        procurement_reference=unsigned.procurement_reference,
        template_version=unsigned.template_version, content_digest=unsigned.content_digest,
        verify_url=unsigned.verify_url, sha256=hashlib.sha256(signed).hexdigest(),
        signed_at=_signing_time(signed), page_count=unsigned.page_count,
        signer=loaded.certificate.subject.rfc4514_string(), pdf=signed)


def _signing_time(pdf: bytes) -> datetime:
    # pyHanko stamps the signing time itself (wall clock); read it back so the record
    # holds exactly what the signature says.
    signature = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures[-1]
    stamped = signature.self_reported_timestamp
    return (stamped or datetime.now(UTC)).astimezone(UTC)
