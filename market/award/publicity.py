"""The result as the public reads it (结果公示): the current award with its price, the
selection record's digest and the command that recomputes it, the result notice, the
earlier awards of the procurement with how they ended, and how many objections were
lodged (never their content); and a procurement's issued documents, each to whoever may
read it (:func:`market.policy.may_read_document`).

Read-only: nothing here writes, so nothing here is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from market import document_access, policy
from market.db import UnitOfWork
from market.draw.service import freeze_view
from market.errors import NotFound
from market.models import Award, DrawRound, IssuedDocument, Objection, Organisation, SelectionRecordRow
from market.principal import Principal
from market.procurement.service import load
from market.procurement.states import ProcurementStatus
from selection.record import SelectionRecord


@dataclass(frozen=True, slots=True)
class AwardLine:
    id: int
    round: int
    rank: int
    firm_name: str
    uscc: str
    amount: Decimal
    selected_at: datetime
    publicity_ends_at: datetime
    awarded_at: datetime | None
    contract_due_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    ended_note: str
    record_digest: str
    verify_command: str
    result_notice_id: str | None
    result_notice_sha256: str | None


@dataclass(frozen=True, slots=True)
class ObjectionCounts:
    lodged: int
    open: int  # open or escalated to a complaint, not yet decided
    upheld: int
    dismissed: int


@dataclass(frozen=True, slots=True)
class Publicity:
    procurement_id: int
    reference: str
    status: ProcurementStatus
    current: AwardLine | None
    earlier: list[AwardLine]
    objections: ObjectionCounts
    respondent: bool  # the reader's firm took part in the current award's round (not the winner)
    may_object: bool  # …and the publicity is still running: it may lodge an objection


def verify_command(draw: DrawRound | None) -> str:
    """The command that recomputes a round's record (and, for a draw, checks it against the
    digests of the inputs frozen before the reveal)."""
    frozen = freeze_view(draw) if draw is not None else None
    if frozen is None:
        return "python -S -m selection.verify record.json"
    inputs = f"configuration={frozen.configuration},candidates={frozen.candidates},bids={frozen.bids}"
    return f"python -S -m selection.verify --frozen {inputs} record.json"


async def _line(uow: UnitOfWork, award: Award) -> AwardLine:
    name = await uow.session.scalar(select(Organisation.name).where(Organisation.id == award.firm_id))
    digest = await uow.session.scalar(
        select(SelectionRecordRow.digest).where(
            SelectionRecordRow.procurement_id == award.procurement_id, SelectionRecordRow.round == award.round
        )
    )
    draw = await uow.session.get(DrawRound, (award.procurement_id, award.round))
    sha256 = None
    if award.result_notice_id is not None:
        sha256 = await uow.session.scalar(
            select(IssuedDocument.sha256).where(IssuedDocument.id == award.result_notice_id)
        )
    return AwardLine(
        id=award.id,
        round=award.round,
        rank=award.rank,
        firm_name=name or award.uscc,
        uscc=award.uscc,
        amount=award.amount,
        selected_at=award.selected_at,
        publicity_ends_at=award.publicity_ends_at,
        awarded_at=award.awarded_at,
        contract_due_at=award.contract_due_at,
        ended_at=award.ended_at,
        ended_reason=award.ended_reason,
        ended_note=award.ended_note,
        record_digest=digest or "",
        verify_command=verify_command(draw),
        result_notice_id=award.result_notice_id,
        result_notice_sha256=sha256,
    )


async def _counts(uow: UnitOfWork, procurement_id: int) -> ObjectionCounts:
    rows = await uow.session.execute(
        select(Objection.status, Objection.outcome, func.count())
        .where(Objection.procurement_id == procurement_id)
        .group_by(Objection.status, Objection.outcome)
    )
    lodged = still_open = upheld = dismissed = 0
    for status, outcome, count in rows:
        lodged += count
        still_open += count if status in ("open", "complaint") else 0
        upheld += count if outcome == "upheld" else 0
        dismissed += count if outcome == "dismissed" else 0
    return ObjectionCounts(lodged, still_open, upheld, dismissed)


async def _respondent(uow: UnitOfWork, principal: Principal | None, award: Award | None) -> bool:
    """The reader's firm is among the current round's candidates (a counted bidder, or in
    the pool drawn from) and is not the winner itself."""
    if principal is None or award is None or principal.organisation_uscc in (None, award.uscc):
        return False
    stored = await uow.session.scalar(
        select(SelectionRecordRow.record).where(
            SelectionRecordRow.procurement_id == award.procurement_id, SelectionRecordRow.round == award.round
        )
    )
    if stored is None:
        return False
    candidates = SelectionRecord.from_json(stored).data.get("inputs", {}).get("candidates", [])
    return principal.organisation_uscc in candidates


async def publicity(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, *, now: datetime
) -> Publicity:
    """The procurement's result, public once a selection opened an award; 404 before."""
    row = await load(uow, principal, procurement_id)
    awards = (
        await uow.session.scalars(
            select(Award).where(Award.procurement_id == row.id).order_by(Award.id.desc())
        )
    ).all()
    if not awards or row.reference is None:
        raise NotFound(
            f"procurement {procurement_id} has no result yet: it is published once the selection is made",
            procurement_id=procurement_id,
        )
    current = next((a for a in awards if a.ended_at is None), None)
    respondent = await _respondent(uow, principal, current)
    running = (
        current is not None and row.status is ProcurementStatus.SELECTED and now < current.publicity_ends_at
    )
    return Publicity(
        procurement_id=row.id,
        reference=row.reference,
        status=row.status,
        current=await _line(uow, current) if current is not None else None,
        earlier=[await _line(uow, a) for a in awards if a is not current],
        objections=await _counts(uow, row.id),
        respondent=respondent,
        may_object=respondent and running,
    )


async def documents_of(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int
) -> Sequence[IssuedDocument]:
    """The procurement's issued documents (every status, newest first) that ``principal``
    may read: result notices to anyone, the others as :mod:`market.document_access` says."""
    row = await load(uow, principal, procurement_id)
    if row.reference is None:
        return []
    issued = (
        await uow.session.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.procurement_reference == row.reference)
            .order_by(IssuedDocument.created_at.desc(), IssuedDocument.id)
        )
    ).all()
    return [d for d in issued if policy.may_read_document(principal, document_access.facts_of(d))]
