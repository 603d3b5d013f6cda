"""A procurement's files over HTTP: the owner uploads to and removes from a draft; whoever
may see the procurement lists and downloads them (anyone once it is published). After
publication the files are fixed (409: publish an amendment), see
:mod:`market.procurement.attachment_store`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, KwargDefinition

from market.models import Role
from market.procurement import attachment_store, listing
from market.procurement.terms import procurement_terms_of
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.inputs import NoFileChosen
from web.params import Id
from web.procurement_views import AttachmentList, AttachmentView

owners = requires(Role.OWNER)


@dataclass
class AttachmentUpload:
    """The multipart form of an upload."""

    # Any, not UploadFile: a text field or no file must reach _chosen() and be answered as such
    file: Annotated[
        Any,
        KwargDefinition(
            description="the file: PDF, DOCX, XLSX or ZIP (limits in reference data)",
            schema_extra={"type": "string", "format": "binary"},
        ),
    ] = None


def _chosen(form: AttachmentUpload) -> UploadFile:
    if isinstance(form.file, UploadFile) and form.file.filename:
        return form.file
    raise NoFileChosen("send one file as the multipart/form-data field 'file'", field="file")


def _disposition(attachment_id: int, name: str) -> str:
    """RFC 6266/5987: an ASCII fallback and the real (often Chinese) name, UTF-8 encoded."""
    extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
    fallback = f"attachment-{attachment_id}.{quote(extension, safe='')}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class ProcurementAttachmentController(Controller):
    path = "/api/procurements/{procurement_id:int}/attachments"
    tags = ["procurements"]

    @get("/", opt=PUBLIC, summary="A procurement's files, with size and SHA-256")
    async def files(self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW) -> AttachmentList:
        found = await listing.detail(uow, signed_in_principal(request), procurement_id)
        return AttachmentList(
            procurement_id, [AttachmentView.of(procurement_id, a) for a in found.attachments]
        )

    @post(
        "/",
        guards=[owners],
        status_code=201,
        summary="Attach a file to a draft",
        description="Multipart field 'file'. The type is told by the name's extension and checked "
        "against the file's first bytes (a renamed file is refused) and the Content-Type sent; "
        "size, count and total limits from reference data. After publication: 409 (amend instead).",
    )
    async def upload(
        self,
        procurement_id: Id,
        data: Annotated[AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> AttachmentView:
        terms = procurement_terms_of(app_state.settings).attachments
        upload = _chosen(data)
        content = await upload.read(terms.max_bytes + 1)
        await upload.close()
        row = await attachment_store.add(
            uow,
            actor,
            principal,
            procurement_id,
            upload.filename,
            content,
            app_state.clock.now(),
            terms,
            declared_type=upload.content_type or "",
        )
        entry = listing.AttachmentEntry(
            row.id, row.name, row.media_type, row.size, row.sha256, row.added_in_version, row.created_at
        )
        await uow.commit()
        return AttachmentView.of(procurement_id, entry)

    @get(
        "/{attachment_id:int}",
        opt=PUBLIC,
        media_type="application/octet-stream",
        summary="Download a file",
        description="The answer's X-Content-SHA256 is the file's SHA-256, as listed.",
    )
    async def download(
        self, request: Request[Any, Any, Any], procurement_id: Id, attachment_id: Id, uow: UoW
    ) -> Response[bytes]:
        found = await attachment_store.download(
            uow, signed_in_principal(request), procurement_id, attachment_id
        )
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": _disposition(found.id, found.name),
                "X-Content-SHA256": found.sha256,
                "X-Content-Type-Options": "nosniff",
            },
        )

    @delete("/{attachment_id:int}", guards=[owners], status_code=200, summary="Remove a file from a draft")
    async def remove(
        self,
        procurement_id: Id,
        attachment_id: Id,
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
    ) -> AttachmentList:
        await attachment_store.remove(uow, actor, principal, procurement_id, attachment_id)
        found = await listing.detail(uow, principal, procurement_id)
        await uow.commit()
        return AttachmentList(
            procurement_id, [AttachmentView.of(procurement_id, a) for a in found.attachments]
        )
