"""Issuing, storing and checking sealed documents; template versions.

Rendering and sealing are CPU work done by :mod:`contracts` in worker processes (the
:class:`DocumentOffice` owns the pool); this module stores what comes back with the
procurement, audits it, and answers "is this PDF the one the platform issued?".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

import contracts
from market import audit, document_access
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from market.models import DocumentStatus, DocumentTemplate, IssuedDocument
from market.outside_errors import translated_errors
from market.principal import Principal
from market.settings import Settings

MAX_TEMPLATE_CHARS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DATA_FIELD = "data"  # where a request puts a document's fields: their errors are named data.<field>


@dataclass(frozen=True, slots=True)
class RenderQueue:
    """For the operator's metrics: worker processes running (0 until the first document
    starts them), documents being rendered and documents waiting for a free worker."""

    workers: int
    active: int
    pending: int


class DocumentOffice:
    """The process-wide renderer and seal. Both are made on first use: building the font
    cache and starting worker processes takes seconds, and most requests never need them."""

    def __init__(self, settings: Settings) -> None:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"MARKET_PUBLIC_URL={settings.public_url!r} must be an absolute http(s) URL; "
                "it is printed in the QR code of every document"
            )
        self.settings = settings
        self.workers = settings.render_workers or None
        self._pool: contracts.RenderPool | None = None
        self._lock = asyncio.Lock()
        self._in_flight = 0

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    @property
    def queue(self) -> RenderQueue:
        # The pool hands documents to free workers in order: all are busy while more
        # documents are in flight than there are workers.
        workers = self._pool.max_workers if self._pool is not None else 0
        active = min(self._in_flight, workers)
        return RenderQueue(workers, active, self._in_flight - active)

    @functools.cached_property
    def render_settings(self) -> contracts.RenderSettings:
        # Built on first use: it loads WeasyPrint, which the service need not pay for at start.
        return contracts.RenderSettings(
            base_url=self.settings.public_url,
            cache_dir=self.settings.home / "cache",
            platform_name=self.settings.platform_name,
        )

    @functools.cached_property
    def seal_config(self) -> contracts.SealConfig:
        if self.settings.seal_pkcs12 is not None:
            return contracts.SealConfig.production(self.settings.seal_pkcs12, self.settings.seal_passphrase)
        return contracts.SealConfig.development(self.settings.home / "seal")

    async def pool(self) -> contracts.RenderPool:
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncio.to_thread(
                    contracts.RenderPool, self.render_settings, self.seal_config, self.workers
                )
            return self._pool

    async def seal(self) -> contracts.Seal:
        return await asyncio.to_thread(contracts.load_seal, self.seal_config)

    async def issue(
        self, document: contracts.Document, template: contracts.TemplateSource | None, document_id: str
    ) -> contracts.IssuedDocument:
        with self._counted():
            return await (await self.pool()).issue(document, template, document_id)

    async def render_unsigned(
        self, document: contracts.Document, template: contracts.TemplateSource | None, document_id: str
    ) -> contracts.UnsignedDocument:
        with self._counted():
            pool = await self.pool()
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                pool.executor, contracts.render_unsigned, document, self.render_settings, template,
                document_id,
            )

    async def check(self, pdf: bytes) -> contracts.VerificationResult:
        seal = await self.seal()
        return await contracts.verify_pdf_async(pdf, seal.trust_roots, [seal.certificate])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


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
    """Render, seal and store ``document``. An earlier valid document of the same kind for
    the same procurement becomes *superseded* by this one. A procurement reference belongs
    to whoever issued its documents (:func:`market.policy.may_issue_for`)."""
    source = template_source(template) if template is not None else None
    if template is not None and template.kind != document.kind.value:
        raise InvalidInput(
            f"template {template.version} is for {template.kind}, not {document.kind.value}",
            field="template_id",
        )
    issuer = await document_access.issuer_for(uow, principal, document.procurement.reference, reason)
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
    document_access.ensure_may_revoke(principal, row)
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
class UploadCheck:
    """The answer to "is this the PDF the platform issued as document X?"."""

    issued_by_platform: bool
    matches_document: bool
    status: str | None
    code: str
    message: str
    sha256: str


async def check_upload(uow: UnitOfWork, office: DocumentOffice, document_id: str, pdf: bytes) -> UploadCheck:
    """Checks the seal (pyHanko), then that the bytes are exactly those stored for
    ``document_id``. Never raises for a bad file: a clean negative answer instead."""
    row = await get_document(uow, document_id)
    if len(pdf) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", field="file")
    result = await office.check(pdf)
    matches = result.issued_by_platform and result.sha256 == row.sha256
    if not result.issued_by_platform:
        message = f"不是本平台签发的文件（not issued by this platform）：{result.message}"
        code = str(result.code)
    elif not matches:
        message = (
            "该文件由本平台签发，但不是此编号对应的文件（issued by this platform, but not this document）。"
        )
        code = "other_document"
    else:
        labels = {
            DocumentStatus.VALID: "有效",
            DocumentStatus.SUPERSEDED: "已被新版本替代",
            DocumentStatus.REVOKED: "已撤销",
        }
        message = f"与本平台签发的原件一致，文件状态：{labels[row.status]}。"
        code = "valid" if row.status is DocumentStatus.VALID else str(row.status)
    return UploadCheck(
        issued_by_platform=result.issued_by_platform,
        matches_document=matches,
        status=row.status.value,
        code=code,
        message=message,
        sha256=result.sha256,
    )


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
