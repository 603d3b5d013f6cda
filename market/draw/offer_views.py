"""Reading the offers of small works: a contractor's own (open and past), and a procurement's
offer chain as the public sees it once the draw has been made.

The chain is public like the record it follows (who was asked, in which order, what each
answered and when, and a decline's reason); a firm's list holds only its own offers, so no
firm learns from it that another was asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from market.db import UnitOfWork
from market.errors import PermissionDenied
from market.models import ContractorOffer, Organisation, Procurement
from market.principal import Principal, Role
from market.procurement.service import load
from market.procurement.states import ProcurementStatus

#: Most offers a firm's list shows (newest first); a firm is asked a few times a year.
MOST = 200


@dataclass(frozen=True, slots=True)
class OfferLine:
    id: int
    procurement_id: int
    reference: str
    title: str
    round: int
    rank: int
    firm_name: str
    uscc: str
    offered_at: datetime
    due_at: datetime
    answer: str | None  # None while open: confirmed, declined or lapsed once closed
    answered_at: datetime | None
    reason: str
    procurement_status: ProcurementStatus

    def open_at(self, now: datetime) -> bool:
        """Whether the firm may still answer it at ``now`` (not once the procurement was
        cancelled meanwhile)."""
        return (
            self.answer is None
            and now < self.due_at
            and self.procurement_status is ProcurementStatus.CONFIRMING
        )


def _lines() -> Select[ContractorOffer, str, str | None, str, ProcurementStatus]:
    return (
        select(
            ContractorOffer, Organisation.name, Procurement.reference, Procurement.title, Procurement.status
        )
        .join(Organisation, Organisation.id == ContractorOffer.firm_id)
        .join(Procurement, Procurement.id == ContractorOffer.procurement_id)
    )


def _line(
    offer: ContractorOffer, name: str, reference: str | None, title: str, status: ProcurementStatus
) -> OfferLine:
    return OfferLine(
        id=offer.id,
        procurement_id=offer.procurement_id,
        reference=reference or "",
        title=title,
        round=offer.round,
        rank=offer.rank,
        firm_name=name,
        uscc=offer.uscc,
        offered_at=offer.offered_at,
        due_at=offer.due_at,
        answer=offer.answer,
        answered_at=offer.answered_at,
        reason=offer.reason,
        procurement_status=status,
    )


async def firm_offers(uow: UnitOfWork, principal: Principal) -> list[OfferLine]:
    """The offers made to the principal's firm, open ones first, then newest first."""
    if Role.CONTRACTOR not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied(
            "offers of small works are answered by the drawn contractor's users (施工企业)"
        )
    rows = await uow.session.execute(
        _lines()
        .where(ContractorOffer.firm_id == principal.organisation_id)
        .order_by(ContractorOffer.answer.is_not(None), ContractorOffer.offered_at.desc(), ContractorOffer.id)
        .limit(MOST)
    )
    return [_line(*row) for row in rows]


async def offer_chain(uow: UnitOfWork, principal: Principal | None, procurement_id: int) -> list[OfferLine]:
    """The offers of a published procurement in the order they were made (round, rank);
    NotFound for a procurement the principal may not see."""
    await load(uow, principal, procurement_id)
    rows = await uow.session.execute(
        _lines()
        .where(ContractorOffer.procurement_id == procurement_id)
        .order_by(ContractorOffer.round, ContractorOffer.rank)
    )
    return [_line(*row) for row in rows]


async def offer_line(uow: UnitOfWork, offer_id: int) -> OfferLine:
    """One offer as it stands now (after the caller's answer to it was flushed)."""
    row = (await uow.session.execute(_lines().where(ContractorOffer.id == offer_id))).one()
    return _line(*row)
