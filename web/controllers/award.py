"""The result of a procurement over HTTP (结果公示): the current award and the earlier ones,
and the documents issued for the procurement, each to whoever may read it. Read-only;
:mod:`market.award.publicity` decides what each reader sees."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get
from msgspec import Struct

from market.award import publicity
from market.clock import local
from market.models import IssuedDocument
from web.auth import PUBLIC, signed_in_principal
from web.dependencies import State, UoW
from web.params import Id


class AwardOut(Struct):
    id: int
    round: int
    rank: int  # 1: the record's winner; 2…: an alternate that took the place
    firm_name: str
    uscc: str
    amount: Decimal
    selected_at: datetime
    publicity_ends_at: datetime
    awarded_at: datetime | None
    contract_due_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None  # voided (an objection upheld) | replaced (the next alternate)
    ended_note: str
    record_digest: str
    record_download: str
    verify_command: str
    result_notice_id: str | None
    result_notice_sha256: str | None
    result_notice_pdf: str | None

    @classmethod
    def of(cls, line: publicity.AwardLine, procurement_id: int) -> AwardOut:
        notice = line.result_notice_id
        return cls(
            id=line.id,
            round=line.round,
            rank=line.rank,
            firm_name=line.firm_name,
            uscc=line.uscc,
            amount=line.amount,
            selected_at=local(line.selected_at),
            publicity_ends_at=local(line.publicity_ends_at),
            awarded_at=local(line.awarded_at) if line.awarded_at else None,
            contract_due_at=local(line.contract_due_at) if line.contract_due_at else None,
            ended_at=local(line.ended_at) if line.ended_at else None,
            ended_reason=line.ended_reason,
            ended_note=line.ended_note,
            record_digest=line.record_digest,
            record_download=f"/api/procurements/{procurement_id}/record",
            verify_command=line.verify_command,
            result_notice_id=notice,
            result_notice_sha256=line.result_notice_sha256,
            result_notice_pdf=f"/api/documents/{notice}/pdf" if notice else None,
        )


class ObjectionCountsOut(Struct):
    lodged: int
    open: int
    upheld: int
    dismissed: int


class PublicityOut(Struct):
    procurement_id: int
    reference: str
    status: str
    status_label: str
    current: AwardOut | None
    earlier: list[AwardOut]
    objections: ObjectionCountsOut
    may_object: bool  # the signed-in reader's firm may lodge an objection now


class ProcurementDocumentOut(Struct):
    id: str
    kind: str
    kind_label: str
    document_number: str
    status: str
    status_label: str
    superseded_by: str | None
    sha256: str
    page_count: int
    signed_at: datetime
    pdf: str
    verify: str

    @classmethod
    def of(cls, row: IssuedDocument) -> ProcurementDocumentOut:
        return cls(
            id=row.id,
            kind=row.kind,
            kind_label=row.kind_label,
            document_number=row.document_number,
            status=row.status.value,
            status_label=row.status.label,
            superseded_by=row.superseded_by,
            sha256=row.sha256,
            page_count=row.page_count,
            signed_at=local(row.signed_at),
            pdf=f"/api/documents/{row.id}/pdf",
            verify=f"/verify/{row.id}",
        )


class ProcurementDocumentList(Struct):
    items: list[ProcurementDocumentOut]


class AwardController(Controller):
    path = "/api/procurements/{procurement_id:int}"
    tags = ["award"]

    @get(
        "/award",
        opt=PUBLIC,
        summary="The result (结果公示): the current award and the earlier ones",
        description="Public once a selection opened an award (404 before): the firm, its price, "
        "rank and round, the selection record's digest with the command that recomputes it, the "
        "publicity's end and the result notice; earlier awards with how they ended (voided: an "
        "objection upheld; replaced: the next alternate took the place); how many objections "
        "were lodged, open, upheld and dismissed (not their content).",
    )
    async def award(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW, app_state: State
    ) -> PublicityOut:
        view = await publicity.publicity(
            uow, signed_in_principal(request), procurement_id, now=app_state.clock.now()
        )
        counts = view.objections
        return PublicityOut(
            procurement_id=view.procurement_id,
            reference=view.reference,
            status=view.status.value,
            status_label=view.status.label,
            current=AwardOut.of(view.current, view.procurement_id) if view.current else None,
            earlier=[AwardOut.of(line, view.procurement_id) for line in view.earlier],
            objections=ObjectionCountsOut(counts.lodged, counts.open, counts.upheld, counts.dismissed),
            may_object=view.may_object,
        )

    @get(
        "/documents",
        opt=PUBLIC,
        summary="The procurement's issued documents",
        description="Every document issued for the procurement's reference that the reader may "
        "read, newest first, with its status: result notices to anyone; a selection notice or a "
        "contract to the parties it names, the owner organisation, supervisors and administrators.",
    )
    async def documents(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW
    ) -> ProcurementDocumentList:
        rows = await publicity.documents_of(uow, signed_in_principal(request), procurement_id)
        return ProcurementDocumentList([ProcurementDocumentOut.of(row) for row in rows])
