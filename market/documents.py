"""The document service: issuing (and so superseding), revoking, downloading and
re-rendering sealed documents; the template versions they are rendered with.

Rendering and sealing happen in :class:`~market.document_office.DocumentOffice`'s worker
processes; this module stores what comes back with the procurement and audits it. Who may
do what is :mod:`market.document_access`'s; the check of an uploaded copy is
:mod:`market.document_check`'s.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

import contracts
from market import audit, document_access, policy
from market.audit import Actor
from market.db import UnitOfWork
from market.document_office import DocumentOffice
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import DocumentStatus, DocumentTemplate, IssuedDocument
from market.outside_errors import translated_errors
from market.principal import Principal

MAX_TEMPLATE_CHARS = 200_000
DATA_FIELD = "data"  # where a request puts a document's fields: their errors are named data.<field>


def parse_kind(value: str) -> contracts.DocumentKind:
    try:
        return contracts.DocumentKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in contracts.DocumentKind)
        raise InvalidInput(f"unknown document kind {value!r}; kinds are: {allowed}", field="kind") from None


def build_document(kind: contracts.DocumentKind, data: dict[str, Any]) -> contracts.Document:
    """Validate JSON-like document data; errors name the field (``data.winner.uscc``)."""
    with translated_errors(within=DATA_FIELD):
        return contracts.document_from_dict(kind, data)


# -- templates --------------------------------------------------------------------------


async def upload_template(
    uow: UnitOfWork, actor: Actor, *, kind: contracts.DocumentKind, name: str, source: str
) -> DocumentTemplate:
    """Store a new version of template ``name`` after checking its syntax and that it only
    uses whitelisted variables. The previous version stays for the documents that used it."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise InvalidInput(f"a template may have at most {MAX_TEMPLATE_CHARS} characters", field="source")
    last = await uow.session.scalar(
        select(func.max(DocumentTemplate.sequence)).where(DocumentTemplate.name == name)
    )
    existing_kind = await uow.session.scalar(
        select(DocumentTemplate.kind).where(DocumentTemplate.name == name).limit(1)
    )
    if existing_kind is not None and existing_kind != kind.value:
        raise Conflict(f"template {name!r} is a {existing_kind} template, not {kind.value}", field="kind")
    with translated_errors():
        candidate = contracts.TemplateSource(kind=kind, name=name, sequence=(last or 0) + 1, source=source)
        await asyncio.to_thread(contracts.validate_template, candidate)
    row = DocumentTemplate(
        kind=kind.value,
        name=name,
        sequence=candidate.sequence,
        version=candidate.version,
        sha256=candidate.sha256,
        source=source,
        uploaded_by=actor.id,
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "template:uploaded",
        "template",
        row.id,
        {"kind": kind, "name": name, "version": row.version, "sha256": row.sha256},
    )
    return row


async def list_templates(
    uow: UnitOfWork, kind: contracts.DocumentKind | None = None
) -> Sequence[DocumentTemplate]:
    query = select(DocumentTemplate).order_by(DocumentTemplate.name, DocumentTemplate.sequence)
    if kind is not None:
        query = query.where(DocumentTemplate.kind == kind.value)
    return (await uow.session.scalars(query)).all()


async def get_template(uow: UnitOfWork, template_id: int) -> DocumentTemplate:
    row = await uow.session.get(DocumentTemplate, template_id)
    if row is None:
        raise NotFound(f"there is no template {template_id}", template_id=template_id)
    return row


def template_source(row: DocumentTemplate) -> contracts.TemplateSource:
    return contracts.TemplateSource(
        kind=contracts.DocumentKind(row.kind), name=row.name, sequence=row.sequence, source=row.source
    )


# -- documents ---------------------------------------------------------------------------
async def issue(
    uow: UnitOfWork,
    actor: Actor,
    office: DocumentOffice,
    *,
    document: contracts.Document,
    principal: Principal,
    template: DocumentTemplate | None = None,
    reason: str | None = None,
) -> IssuedDocument:
    """Render, seal and store ``document`` for ``principal`` (the free-form issue). An
    earlier valid document of the same kind for the same procurement becomes *superseded*
    by this one. A platform procurement's reference belongs to its owner organisation; any
    other reference to whoever issued its documents (:mod:`market.document_access`).
    Free-form data is for administrators (:func:`market.policy.may_issue_free_form`): the
    platform builds a procurement's own documents from its stored data."""
    if not policy.may_issue_free_form(principal):
        raise PermissionDenied(
            "documents are issued from a procurement's stored data by the platform; issuing "
            "one from free-form data is for administrators"
        )
    _check_template(document, template)
    issuer = await document_access.issuer_for(uow, principal, document.procurement.reference, reason)
    return await _store(uow, actor, office, document, issuer, template, reason)


async def issue_for_procurement(
    uow: UnitOfWork,
    actor: Actor,
    office: DocumentOffice,
    document: contracts.Document,
    organisation_id: int,
    *,
    reason: str | None = None,
) -> IssuedDocument:
    """Render, seal and store ``document`` on behalf of ``organisation_id`` — the platform
    issuing a procurement's notice or contract for its owner organisation, with no signed-in
    principal. The caller has established that the document belongs to that organisation's
    procurement; the reference is still locked and checked against the procurement, so a
    document never lands on another organisation's reference."""
    reference = document.procurement.reference
    await document_access.lock_reference(uow, reference)
    owner = await document_access.platform_owner_of(uow, reference)
    if owner is not None and owner != organisation_id:
        raise PermissionDenied(
            f"procurement {reference} belongs to another organisation: its documents are issued "
            "for its owner organisation only",
            procurement_reference=reference,
        )
    return await _store(uow, actor, office, document, organisation_id, None, reason)


#: H4's contract: the same path as every document bound to a procurement.
issue_contract = issue_for_procurement


def _check_template(document: contracts.Document, template: DocumentTemplate | None) -> None:
    if template is not None and template.kind != document.kind.value:
        raise InvalidInput(
            f"template {template.version} is for {template.kind}, not {document.kind.value}",
            field="template_id",
        )


async def _store(
    uow: UnitOfWork,
    actor: Actor,
    office: DocumentOffice,
    document: contracts.Document,
    issuer: int | None,
    template: DocumentTemplate | None,
    reason: str | None,
) -> IssuedDocument:
    """Render and seal (in the office's workers), store, supersede the earlier valid
    document of the kind for the reference, and audit. The reference is locked by now."""
    source = template_source(template) if template is not None else None
    document_id = uuid.uuid4().hex
    with translated_errors(within=DATA_FIELD):
        issued = await office.issue(document, source, document_id)
    data = json.loads(contracts.canonical_json(document))["data"]  # {"kind", "data"}: kind has a column
    row = IssuedDocument(
        id=issued.document_id,
        kind=issued.kind.value,
        document_number=issued.document_number,
        procurement_reference=issued.procurement_reference,
        title=_title(document, issued),
        data=data,
        template_version=issued.template_version,
        template_id=template.id if template is not None else None,
        content_digest=issued.content_digest,
        sha256=issued.sha256,
        pdf=issued.pdf,
        size=issued.size,
        page_count=issued.page_count,
        signer=issued.signer,
        signed_at=issued.signed_at,
        issued_by=actor.id,
        issuer_organisation_id=issuer,
        party_usccs=document_access.party_usccs(document),
    )
    uow.session.add(row)
    await uow.session.flush()
    earlier = (
        await uow.session.scalars(
            select(IssuedDocument).where(
                IssuedDocument.procurement_reference == row.procurement_reference,
                IssuedDocument.kind == row.kind,
                IssuedDocument.status == DocumentStatus.VALID,
                IssuedDocument.id != row.id,
            )
        )
    ).all()
    for old in earlier:
        old.status = DocumentStatus.SUPERSEDED
        old.superseded_by = row.id
        await audit.record(
            uow, actor, "document:superseded", "document", old.id, {"by": row.id, "reason": reason}
        )
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "document:issued",
        "document",
        row.id,
        {
            "kind": row.kind,
            "procurement": row.procurement_reference,
            "number": row.document_number,
            "sha256": row.sha256,
            "template_version": row.template_version,
            "content_digest": row.content_digest,
            "signed_at": row.signed_at,
            "pages": row.page_count,
            "issuer_organisation_id": issuer,
            "parties": row.party_usccs,
            "reason": reason,
        },
    )
    return row


def _title(document: contracts.Document, issued: contracts.IssuedDocument) -> str:
    procurement = getattr(document, "procurement", None)
    title = getattr(procurement, "title", None)
    return str(title or issued.procurement_reference)[:300]


async def get_document(uow: UnitOfWork, document_id: str) -> IssuedDocument:
    row = await uow.session.get(IssuedDocument, document_id) if len(document_id) <= 64 else None
    if row is None:
        raise NotFound(f"no document {document_id!r} was issued by this platform", document_id=document_id)
    return row


async def document_pdf(uow: UnitOfWork, document_id: str) -> bytes:
    await get_document(uow, document_id)
    pdf = await uow.session.scalar(select(IssuedDocument.pdf).where(IssuedDocument.id == document_id))
    return bytes(pdf or b"")


async def download(
    uow: UnitOfWork, reader: Principal | None, document_id: str
) -> tuple[IssuedDocument, bytes]:
    """The sealed PDF with its record, for whoever may read it
    (:func:`market.policy.may_read_document`; anyone, for a result notice)."""
    row = await get_document(uow, document_id)
    document_access.ensure_may_read(reader, row)
    return row, await document_pdf(uow, document_id)


async def revoke(
    uow: UnitOfWork, actor: Actor, document_id: str, *, principal: Principal, reason: str
) -> IssuedDocument:
    row = await get_document(uow, document_id)
    await document_access.ensure_may_revoke(uow, principal, row)
    if not reason.strip():
        raise InvalidInput("say why the document is revoked", field="reason")
    if row.status is DocumentStatus.REVOKED:
        raise Conflict(f"document {document_id} is already revoked")
    row.status = DocumentStatus.REVOKED
    row.revoked_reason = reason.strip()[:500]
    await uow.session.flush()
    await audit.record(uow, actor, "document:revoked", "document", row.id, {"reason": row.revoked_reason})
    return row


@dataclass(frozen=True, slots=True)
class Reproduction:
    """Re-rendering a stored document from its stored inputs. The seal is an incremental
    update appended to the rendered PDF, so an identical re-render is a byte-for-byte
    prefix of the issued file."""

    identical: bool
    template_version: str
    stored_template_version: str
    content_digest: str
    stored_content_digest: str
    detail: str


async def reproduce(uow: UnitOfWork, office: DocumentOffice, document_id: str) -> Reproduction:
    row = await get_document(uow, document_id)
    template = template_source(await get_template(uow, row.template_id)) if row.template_id else None
    try:
        document = contracts.document_from_dict(row.kind, row.data)
        unsigned = await office.render_unsigned(document, template, row.id)
    except (contracts.InvalidDocumentData, contracts.TemplateRejected) as exc:
        return Reproduction(
            False,
            "",
            row.template_version,
            "",
            row.content_digest,
            f"the stored inputs no longer render: {exc}",
        )
    pdf = await document_pdf(uow, document_id)
    identical = pdf.startswith(unsigned.pdf)
    if identical:
        detail = "re-rendered from the stored data and template: identical to the issued PDF up to the seal"
    elif unsigned.template_version != row.template_version:
        detail = (
            f"the template changed since issue ({row.template_version} -> "
            f"{unsigned.template_version}); the stored PDF remains the record"
        )
    else:
        detail = "re-rendering the stored inputs gives a different PDF than the one issued"
    return Reproduction(
        identical,
        unsigned.template_version,
        row.template_version,
        unsigned.content_digest,
        row.content_digest,
        detail,
    )
