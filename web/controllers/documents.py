"""Sealed documents: the public verification page (the QR code on every page leads here),
the check of an uploaded copy, downloads, issuing and revoking, and template versions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.response import Template
from msgspec import Meta, Struct

from market import document_check, documents
from market.clock import local
from market.models import DocumentTemplate, IssuedDocument, Role
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.inputs import PdfUpload
from web.params import Id
from web.verify_rate import VERIFY_RATE_LIMITED


class DocumentView(Struct):
    id: str
    kind: str
    kind_label: str
    document_number: str
    procurement_reference: str
    title: str
    status: str
    superseded_by: str | None
    revoked_reason: str | None
    sha256: str
    content_digest: str
    template_version: str
    signer: str
    signed_at: datetime
    page_count: int
    size: int
    verify_url: str

    @classmethod
    def of(cls, row: IssuedDocument, base_url: str) -> DocumentView:
        return cls(
            row.id,
            row.kind,
            row.kind_label,
            row.document_number,
            row.procurement_reference,
            row.title,
            row.status.value,
            row.superseded_by,
            row.revoked_reason,
            row.sha256,
            row.content_digest,
            row.template_version,
            row.signer,
            local(row.signed_at),
            row.page_count,
            row.size,
            f"{base_url}/verify/{row.id}",
        )


class IssueRequest(Struct, forbid_unknown_fields=True):
    kind: str
    data: dict[str, Any]
    template_id: int | None = None
    reason: Annotated[str, Meta(max_length=500)] | None = None


class RevokeRequest(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class TemplateUpload(Struct, forbid_unknown_fields=True):
    kind: str
    name: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.\-]{1,80}$", description="template series name")]
    source: Annotated[str, Meta(min_length=1)]


class TemplateView(Struct):
    id: int
    kind: str
    name: str
    sequence: int
    version: str
    sha256: str
    created_at: datetime
    source: str | None = None

    @classmethod
    def of(cls, row: DocumentTemplate, *, with_source: bool = False) -> TemplateView:
        return cls(
            row.id,
            row.kind,
            row.name,
            row.sequence,
            row.version,
            row.sha256,
            local(row.created_at),
            row.source if with_source else None,
        )


class UploadCheckView(Struct):
    issued_by_platform: bool
    matches_document: bool
    status: str | None
    code: str
    message: str
    sha256: str


Upload = Annotated[PdfUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


async def _read(form: PdfUpload) -> bytes:
    upload = form.chosen()
    data = await upload.read(document_check.MAX_UPLOAD_BYTES + 1)
    await upload.close()
    return data


class VerificationPages(Controller):
    """HTML, for anyone holding a document (扫码核验)."""

    path = "/verify"
    tags = ["documents"]
    include_in_schema = True

    def _page(
        self, app_state: Any, row: IssuedDocument, check: Any = None, status_code: int = 200
    ) -> Template:
        return Template(
            template_name="verify.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "document": row,
                "status_label": row.status.label,
                "kind_label": row.kind_label,
                "signed_at": local(row.signed_at).strftime("%Y-%m-%d %H:%M:%S（北京时间）"),
                "check": check,
            },
            status_code=status_code,
        )

    @get(
        "/{document_id:str}",
        opt=PUBLIC,
        summary="Verification page of a document (文件核验)",
        description="What the QR code on each page opens: SHA-256, kind, procurement, status, "
        "and a form to upload a copy. 404 for an id the platform never issued.",
    )
    async def page(self, document_id: FromPath[str], uow: UoW, app_state: State) -> Template:
        return self._page(app_state, await documents.get_document(uow, document_id))

    @post(
        "/{document_id:str}",
        opt=PUBLIC | VERIFY_RATE_LIMITED,
        status_code=200,
        summary="Check an uploaded copy (page)",
        description="Multipart form with field 'file'; answers on the page whether it is the "
        "PDF the platform issued under this id.",
    )
    async def check_page(
        self, document_id: FromPath[str], data: Upload, uow: UoW, app_state: State
    ) -> Template:
        row = await documents.get_document(uow, document_id)
        result = await document_check.check_upload(uow, app_state.documents, document_id, await _read(data))
        return self._page(app_state, row, result)


class ReproductionView(Struct):
    identical: bool
    template_version: str
    stored_template_version: str
    content_digest: str
    stored_content_digest: str
    detail: str


class DocumentController(Controller):
    path = "/api/documents"
    tags = ["documents"]

    @get(
        "/{document_id:str}",
        opt=PUBLIC,
        summary="What the platform issued under this id",
        description="Public, like the verification page.",
    )
    async def get_document(self, document_id: FromPath[str], uow: UoW, app_state: State) -> DocumentView:
        return DocumentView.of(await documents.get_document(uow, document_id), app_state.settings.public_url)

    @post(
        "/{document_id:str}/check",
        opt=PUBLIC | VERIFY_RATE_LIMITED,
        status_code=200,
        summary="Check an uploaded copy",
        description="Multipart field 'file'. An altered or foreign PDF gives issued_by_platform "
        "or matches_document false, never an error.",
    )
    async def check(
        self, document_id: FromPath[str], data: Upload, uow: UoW, app_state: State
    ) -> UploadCheckView:
        result = await document_check.check_upload(uow, app_state.documents, document_id, await _read(data))
        return UploadCheckView(**asdict(result))

    @get(
        "/{document_id:str}/pdf",
        opt=PUBLIC,
        media_type="application/pdf",
        summary="Download the sealed PDF",
        description="Result notices (公示) are public; a contract or a selection notice goes to "
        "the parties it names, the organisation that issued it, supervisors and administrators.",
    )
    async def pdf(
        self, request: Request[Any, Any, Any], document_id: FromPath[str], uow: UoW
    ) -> Response[bytes]:
        row, pdf = await documents.download(uow, signed_in_principal(request), document_id)
        return Response(
            pdf,
            media_type="application/pdf",
            # RFC 6266/5987: an ASCII fallback name plus the real (Chinese) one, UTF-8 encoded
            headers={
                "Content-Disposition": f'inline; filename="{row.id}.pdf"; '
                f"filename*=UTF-8''{quote(row.document_number)}.pdf"
            },
        )

    @post(
        "/",
        guards=[requires(Role.ADMIN)],
        summary="Issue a sealed document from free-form data (administrators)",
        description="kind: selection_notice, service_contract, works_contract or result_notice; "
        "data: the document's fields (see docs/documents.md); template_id: an uploaded "
        "template version (default: the built-in one). Rendering runs in worker processes. "
        "A procurement reference belongs to the organisation that issued its documents: "
        "another one gets 403; an administrator acting for it gives a reason.",
    )
    async def issue(
        self,
        data: JSONBody[IssueRequest],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DocumentView:
        kind = documents.parse_kind(data.kind)
        document = documents.build_document(kind, data.data)
        template = await documents.get_template(uow, data.template_id) if data.template_id else None
        row = await documents.issue(
            uow,
            actor,
            app_state.documents,
            document=document,
            principal=principal,
            template=template,
            reason=data.reason,
        )
        await uow.commit()
        return DocumentView.of(row, app_state.settings.public_url)

    @get(
        "/{document_id:str}/reproduce",
        guards=[requires(Role.SUPERVISOR, Role.ADMIN)],
        summary="Re-render from the stored inputs and compare (复核)",
        description="Renders the document again from its stored data and template version and "
        "checks the issued PDF begins with exactly those bytes (the seal is appended after them).",
    )
    async def reproduce(self, document_id: FromPath[str], uow: UoW, app_state: State) -> ReproductionView:
        result = await documents.reproduce(uow, app_state.documents, document_id)
        return ReproductionView(**asdict(result))

    @post(
        "/{document_id:str}/revoke",
        guards=[requires(Role.ADMIN, Role.SUPERVISOR, Role.OWNER)],
        status_code=200,
        summary="Revoke a document (撤销)",
        description="With a reason. A platform procurement's document: its owner organisation or "
        "an administrator. Another: the issuing organisation, a supervisor or an administrator.",
    )
    async def revoke(
        self,
        document_id: FromPath[str],
        data: JSONBody[RevokeRequest],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DocumentView:
        row = await documents.revoke(uow, actor, document_id, principal=principal, reason=data.reason)
        await uow.commit()
        return DocumentView.of(row, app_state.settings.public_url)


class TemplateController(Controller):
    """Cities' model documents (示范文本), versioned; administrators upload them."""

    path = "/api/templates"
    tags = ["documents"]
    guards = [requires(Role.ADMIN)]

    @get("/", summary="Template versions")
    async def list_templates(self, uow: UoW) -> list[TemplateView]:
        return [TemplateView.of(t) for t in await documents.list_templates(uow)]

    @post(
        "/",
        summary="Upload a template version",
        description="Jinja2 HTML run in a sandbox. A syntax error, or a variable outside the "
        "documented whitelist, gives 422 naming the line.",
    )
    async def upload(self, data: JSONBody[TemplateUpload], uow: UoW, actor: CurrentActor) -> TemplateView:
        row = await documents.upload_template(
            uow, actor, kind=documents.parse_kind(data.kind), name=data.name, source=data.source
        )
        await uow.commit()
        return TemplateView.of(row)

    @get("/{template_id:int}", summary="One template version with its source")
    async def get_template(self, template_id: Id, uow: UoW) -> TemplateView:
        return TemplateView.of(await documents.get_template(uow, template_id), with_source=True)
