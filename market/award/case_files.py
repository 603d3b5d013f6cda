"""Files lodged after a selection (案卷材料): with an objection, a complaint or a delivery.

Each file is checked like a procurement's attachment (reference data
``terms.attachments``: type by extension *and* first bytes, size per file, number and total
per subject) before anything is stored; its SHA-256 is kept and shown, so a party can prove
which file it lodged. Reading a file is for those who may read its subject: the caller
(:func:`market.award.objections.may_read` for objections and complaints, the delivery
service for deliveries) decides that; :func:`download` only looks it up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound
from market.models import CaseFile, Procurement
from market.procurement.attachment_store import file_name
from market.procurement.attachments import check_attachment
from market.procurement.terms import AttachmentTerms

Subject = Literal["objection", "complaint", "delivery"]

#: Media types a client sends when it does not know better; not a claim about the file.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True, slots=True)
class Upload:
    """One file as it arrived: the name the client gave, its bytes, its declared type."""

    filename: str
    content: bytes
    declared_type: str = ""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A stored file without its bytes, for lists."""

    id: int
    subject: str
    subject_id: int
    name: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, row: CaseFile) -> FileEntry:
        return cls(
            row.id,
            row.subject,
            row.subject_id,
            row.name,
            row.media_type,
            row.size,
            row.sha256,
            row.created_at,
        )


@dataclass(frozen=True, slots=True)
class StoredCaseFile:
    entry: FileEntry
    procurement_id: int
    content: bytes


def checked(files: Sequence[Upload], terms: AttachmentTerms) -> list[tuple[Upload, str, str]]:
    """Every file's (upload, stored name, media type), or the refusal of the first bad one;
    the count and total are those of the files lodged together."""
    result: list[tuple[Upload, str, str]] = []
    total = 0
    for upload in files:
        try:
            name = file_name(upload.filename)
            if not upload.content:
                raise InvalidInput(f"{name!r} is empty")
            kind = check_attachment(
                terms, name, upload.content[:16], len(upload.content), files=len(result), total=total
            )
        except InvalidInput as exc:  # named after the form's field, whichever check refused
            details = {k: v for k, v in exc.details.items() if k != "field"}
            raise InvalidInput(exc.message, field="files", **details) from None
        declared = upload.declared_type.split(";", 1)[0].strip().lower()
        if declared not in _UNDECLARED and declared != kind.media_type:
            raise InvalidInput(
                f"{name!r} was sent as {declared[:100]}, but a .{kind.extension} file is {kind.media_type}",
                field="files",
            )
        total += len(upload.content)
        result.append((upload, name, kind.media_type))
    return result


async def store_files(
    uow: UnitOfWork,
    actor: Actor,
    row: Procurement,
    subject: Subject,
    subject_id: int,
    files: Sequence[Upload],
    terms: AttachmentTerms,
    *,
    now: datetime | None = None,
    uploaded_by: int | None = None,
) -> list[FileEntry]:
    """Check every file, then store them all with their SHA-256 (nothing when one is bad:
    the checks run first) and audit ``case_file:stored`` per subject. ``now`` defaults to the
    transaction's time, ``uploaded_by`` to the actor."""
    accepted = checked(files, terms)
    if now is None:
        now = await uow.session.scalar(select(func.now()))
    if uploaded_by is None:
        uploaded_by = actor.id
    stored = []
    for upload, name, media_type in accepted:
        stored.append(
            CaseFile(
                procurement_id=row.id,
                subject=subject,
                subject_id=subject_id,
                name=name,
                media_type=media_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
                uploaded_by=uploaded_by,
                created_at=now,
            )
        )
    if not stored:
        return []
    uow.session.add_all(stored)
    await uow.session.flush()
    entries = [FileEntry.of(f) for f in stored]
    await audit.record(
        uow,
        actor,
        "case_file:stored",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "subject": subject,
            "subject_id": subject_id,
            "files": [{"id": e.id, "name": e.name, "size": e.size, "sha256": e.sha256} for e in entries],
        },
    )
    return entries


async def files_of(uow: UnitOfWork, subject: Subject, subject_id: int) -> list[FileEntry]:
    rows = await uow.session.scalars(
        select(CaseFile)
        .where(CaseFile.subject == subject, CaseFile.subject_id == subject_id)
        .order_by(CaseFile.id)
    )
    return [FileEntry.of(r) for r in rows]


async def download(uow: UnitOfWork, file_id: int) -> StoredCaseFile:
    """The file with its bytes; the caller has decided the reader may read its subject."""
    row = await uow.session.scalar(
        select(CaseFile).where(CaseFile.id == file_id).options(undefer(CaseFile.content))
    )
    if row is None:
        raise NotFound(f"there is no case file {file_id} you may read", file_id=file_id)
    return StoredCaseFile(FileEntry.of(row), row.procurement_id, row.content)
