"""A procurement's files (招标文件、附件), stored: added to and removed from a draft by its
owner's organisation, listed and downloaded by whoever may see the procurement.

Which files are allowed is reference data (:func:`.attachments.check_attachment`: type by
extension *and* first bytes, size per file, number and total per procurement); a declared
media type (the upload's Content-Type) that contradicts the file is refused too. The
SHA-256 of every file is stored and shown, so a bidder can check the copy it downloaded.

**Files are fixed at publication.** Adding or removing a file after publication is refused
(409) and the message says to publish an amendment (变更公告): a file bidders rely on would
have to move the deadline and ask for bids to be re-confirmed exactly as
:func:`market.procurement.amendment.amendment_effect` does for the terms, and the terms
(what amendments diff and version) do not carry the file list yet. Publication stamps the
draft's files with version 1 (:func:`stamp_published`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from market import audit, policy
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import Procurement, ProcurementAttachment
from market.principal import Principal
from market.procurement import service
from market.procurement.attachments import check_attachment
from market.procurement.states import ProcurementStatus
from market.procurement.terms import AttachmentTerms
from market.text import unsafe_character

#: Most characters of a file's name (the column is this wide).
NAME = 200
#: Media types a browser or client sends when it does not know better; not a claim.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One file with its bytes, for a download."""

    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    content: bytes


def file_name(given: str) -> str:
    """The name to store: the last part of what a client sent (browsers may send a path),
    at most :data:`NAME` characters, nothing a page could not show faithfully."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidInput(
            "the file has no name; send it with its file name, e.g. 招标文件.pdf", field="file"
        )
    if len(name) > NAME:
        raise InvalidInput(f"the file name is at most {NAME} characters ({len(name)} given)", field="file")
    unsafe = unsafe_character(name)
    if unsafe is not None or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        reason = unsafe[1] if unsafe is not None else "contains a control character"
        raise InvalidInput(f"the file name {reason}", field="file")
    return name


async def _draft_of_owner(
    uow: UnitOfWork, principal: Principal, procurement_id: int, act: str
) -> Procurement:
    row = await service.load(uow, principal, procurement_id, lock=True)
    if not policy.may_edit_procurement(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) changes its procurement's files",
            procurement_id=procurement_id,
        )
    if row.status is not ProcurementStatus.DRAFT:
        raise Conflict(
            f"procurement {row.reference} is {row.status.label}: its files were fixed at publication; "
            f"to {act} a file, publish an amendment (变更公告) instead",
            procurement_status=row.status.value,
        )
    return row


async def add(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    filename: str,
    content: bytes,
    now: datetime,
    terms: AttachmentTerms,
    *,
    declared_type: str = "",
) -> ProcurementAttachment:
    """Attach a file to a draft; every check passes before anything is written."""
    row = await _draft_of_owner(uow, principal, procurement_id, "add")
    name = file_name(filename)
    if not content:
        raise InvalidInput(f"{name!r} is empty", field="file")
    files, total = (
        await uow.session.execute(
            select(func.count(), func.coalesce(func.sum(ProcurementAttachment.size), 0)).where(
                ProcurementAttachment.procurement_id == row.id
            )
        )
    ).one()
    kind = check_attachment(terms, name, content[:16], len(content), files=int(files), total=int(total))
    declared = declared_type.split(";", 1)[0].strip().lower()
    if declared not in _UNDECLARED and declared != kind.media_type:
        raise InvalidInput(
            f"{name!r} was sent as {declared[:100]}, but a .{kind.extension} file is {kind.media_type}",
            field="file",
        )
    attachment = ProcurementAttachment(
        procurement_id=row.id,
        name=name,
        media_type=kind.media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        added_in_version=None,
        uploaded_by=principal.user_id,
        created_at=now,
    )
    uow.session.add(attachment)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "procurement:attachment_added",
        "procurement",
        row.id,
        {"attachment": attachment.id, "name": name, "size": attachment.size, "sha256": attachment.sha256},
    )
    return attachment


async def remove(
    uow: UnitOfWork, actor: Actor, principal: Principal, procurement_id: int, attachment_id: int
) -> ProcurementAttachment:
    """Take a file off a draft (it was never published, so nothing of it needs keeping)."""
    row = await _draft_of_owner(uow, principal, procurement_id, "remove")
    attachment = await _attachment(uow, row.id, attachment_id)
    await uow.session.delete(attachment)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "procurement:attachment_removed",
        "procurement",
        row.id,
        {"attachment": attachment_id, "name": attachment.name, "sha256": attachment.sha256},
    )
    return attachment


async def _attachment(uow: UnitOfWork, procurement_id: int, attachment_id: int) -> ProcurementAttachment:
    found = await uow.session.scalar(
        select(ProcurementAttachment).where(
            ProcurementAttachment.id == attachment_id, ProcurementAttachment.procurement_id == procurement_id
        )
    )
    if found is None:
        raise NotFound(
            f"procurement {procurement_id} has no attachment {attachment_id}", attachment_id=attachment_id
        )
    return found


async def download(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, attachment_id: int
) -> StoredFile:
    """A file with its bytes, for whoever may see the procurement (anyone once published)."""
    row = await service.load(uow, principal, procurement_id)
    found = await _attachment(uow, row.id, attachment_id)
    return StoredFile(found.id, found.name, found.media_type, found.size, found.sha256, found.content)


async def stamp_published(uow: UnitOfWork, procurement_id: int, version: int = 1) -> None:
    """Mark the draft's files as published with ``version`` (the publication's)."""
    await uow.session.execute(
        update(ProcurementAttachment)
        .where(
            ProcurementAttachment.procurement_id == procurement_id,
            ProcurementAttachment.added_in_version.is_(None),
        )
        .values(added_in_version=version)
    )
