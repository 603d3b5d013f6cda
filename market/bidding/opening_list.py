"""Reading the opening list (开标记录): after the opening, the owner's organisation, the
officials and the procurement's bidders read it; before, everyone is refused and the
attempt is audited (``bid:early_read_refused``), so that an owner or a supervisor who asks
early leaves a trace. The refusal says when the bids open, nothing about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.bidding.store import data_key
from market.clock import local
from market.db import UnitOfWork
from market.errors import NotFound, PermissionDenied
from market.models import Bid, BidOpening, Procurement
from market.principal import Principal, Role
from market.procurement.service import load
from market.procurement.states import ProcurementStatus
from market.sealed.bids import bidder_token
from market.sealed.keys import KeyEncryptionKey, procurement_tag


class SealedUntilOpening(PermissionDenied):
    """The bids are not opened yet; the attempt to read them was audited (the caller commits
    the audit entry before answering)."""

    code = "sealed-until-opening"


@dataclass(frozen=True, slots=True)
class OpeningList:
    procurement_id: int
    reference: str
    opened_at: datetime
    list_sha256: str
    entries: list[dict[str, Any]]


async def _bid_on_it(
    uow: UnitOfWork, principal: Principal, bid_key: KeyEncryptionKey, row: Procurement
) -> bool:
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        return False
    dek = await data_key(uow, bid_key, row)
    found = await uow.session.scalar(
        select(Bid.id)
        .where(
            Bid.procurement_tag == procurement_tag(bid_key, row.id),
            Bid.bidder == bidder_token(dek, principal.organisation_id),
        )
        .limit(1)
    )
    return found is not None


async def opening_list(
    uow: UnitOfWork, actor: Actor, principal: Principal, bid_key: KeyEncryptionKey, procurement_id: int
) -> OpeningList:
    row = await load(uow, principal, procurement_id)
    if row.bid_deadline is None or row.reference is None:
        raise NotFound(f"procurement {procurement_id} takes no bids: it has no opening list")
    stored = await uow.session.get(BidOpening, row.id)
    if stored is None:
        await audit.record(
            uow, actor, "bid:early_read_refused", "procurement", row.id, {"reference": row.reference}
        )
        if row.status is ProcurementStatus.CANCELLED:
            message = f"the bids of {row.reference} stay sealed: it was cancelled before the opening"
        else:
            message = (
                f"the bids of {row.reference} are sealed until the opening at "
                f"{local(row.bid_deadline):%Y-%m-%d %H:%M} (China time)"
            )
        raise SealedUntilOpening(message, opens_at=row.bid_deadline.isoformat())
    bid_on_it = await _bid_on_it(uow, principal, bid_key, row)
    if not policy.may_read_opening(principal, row.owner_organisation_id, bid_on_it=bid_on_it):
        raise PermissionDenied(
            "the opening list is for the owner, the procurement's bidders and supervisors",
            procurement_id=row.id,
        )
    return OpeningList(row.id, row.reference, stored.opened_at, stored.list_sha256, stored.entries)
