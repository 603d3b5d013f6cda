"""Files lodged after a selection — with an objection, a complaint or a delivery (成果文件) —
kept in ``case_file`` with their SHA-256, so a party can check the copy it downloads.

Which files are allowed is the procurement's attachment reference data (type by extension
*and* first bytes, size per file, number and total per lodging: :func:`check_attachment`);
every file of a lodging is checked before any is written, so a refused one leaves nothing.

H3's minimal version of the interface the plan gives H2 (``store_files`` + ``files_of``);
H2's module replaces it at integration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput
from market.models import CaseFile, Procurement
from market.procurement.attachment_store import file_name
from market.procurement.attachments import check_attachment
from market.procurement.terms import ProcurementTerms

CaseSubject = Literal["objection", "complaint", "delivery"]
#: Media types a browser or client sends when it does not know better; not a claim.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True, slots=True)
class LodgedFile:
    """One uploaded file as the web layer read it."""

    name: str
    content: bytes
    declared_type: str = ""


async def store_files(
    uow: UnitOfWork,
    actor: Actor,
    row: Procurement,
    subject: CaseSubject,
    subject_id: int,
    files: Sequence[LodgedFile],
    terms: ProcurementTerms,
    *,
    now: datetime | None = None,
) -> list[CaseFile]:
    """Check every file of the lodging, then store them all (the caller commits). ``now``
    is the service's clock; without it, the transaction's time."""
    allowed = terms.attachments
    checked: list[tuple[str, str, bytes]] = []
    total = 0
    for given in files:
        try:
            name = file_name(given.name)
            if not given.content:
                raise InvalidInput(f"{name!r} is empty")
            kind = check_attachment(
                allowed, name, given.content[:16], len(given.content), files=len(checked), total=total
            )
        except InvalidInput as exc:  # named after the form's field, whichever check refused
            details = {k: v for k, v in exc.details.items() if k != "field"}
            raise InvalidInput(exc.message, field="files", **details) from None
        declared = given.declared_type.split(";", 1)[0].strip().lower()
        if declared not in _UNDECLARED and declared != kind.media_type:
            raise InvalidInput(
                f"{name!r} was sent as {declared[:100]}, but a .{kind.extension} file is {kind.media_type}",
                field="files",
            )
        total += len(given.content)
        checked.append((name, kind.media_type, given.content))
    stored = [
        CaseFile(
            procurement_id=row.id,
            subject=subject,
            subject_id=subject_id,
            name=name,
            media_type=media_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=actor.id,
            created_at=now if now is not None else func.now(),
        )
        for name, media_type, content in checked
    ]
    uow.session.add_all(stored)
    await uow.session.flush()
    if stored:
        await audit.record(
            uow,
            actor,
            "case_file:stored",
            "procurement",
            row.id,
            {
                "subject": f"{subject}:{subject_id}",
                "files": [{"id": f.id, "name": f.name, "size": f.size, "sha256": f.sha256} for f in stored],
            },
        )
    return stored


async def files_of(uow: UnitOfWork, subject: CaseSubject, subject_id: int) -> list[CaseFile]:
    """The files lodged with ``subject`` (without their bytes), in the order lodged."""
    return list(
        await uow.session.scalars(
            select(CaseFile)
            .where(CaseFile.subject == subject, CaseFile.subject_id == subject_id)
            .order_by(CaseFile.id)
        )
    )
