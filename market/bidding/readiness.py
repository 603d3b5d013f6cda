"""Whether a firm may bid on a procurement now, with every reason by code: what the
intermediary's pages show beside each procurement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.bidding import rules
from market.bidding.rules import Reason
from market.bidding.store import firm_reasons, shared_procurement
from market.db import UnitOfWork
from market.principal import Principal, Role
from market.procurement.service import stored_terms
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary

NOT_A_BIDDER = "bids are made by an intermediary (中介机构) account of its firm"


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the principal's firm may bid on a procurement now, and every reason why not."""

    procurement_id: int
    may_bid: bool
    reasons: tuple[Reason, ...]


async def bid_readiness(
    uow: UnitOfWork,
    principal: Principal,
    vocabulary: Vocabulary,
    procurement_id: int,
    now: datetime,
    *,
    terms: ProcurementTerms | None = None,
) -> Readiness:
    """What the intermediary's pages show beside a procurement: bidding open or not, the
    avoidance list, the registries' eligibility, each by code."""
    row = await shared_procurement(uow, principal, procurement_id)
    takes_bids = terms.of(row.kind).takes_bids if terms is not None else row.quote_mode is not None
    reasons: list[Reason] = []
    closed = rules.bidding_reason(
        row.status, row.bid_deadline, now, takes_bids=takes_bids, cancel_reason=row.cancel_reason
    )
    if closed is not None:
        reasons.append(closed)
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        reasons.append(Reason("not-a-bidder", NOT_A_BIDDER))
    elif takes_bids:
        registry = terms.of(row.kind).registry if terms is not None else "intermediary"
        reasons += await firm_reasons(
            uow, vocabulary, stored_terms(row), registry, principal.organisation_id, now
        )
    return Readiness(row.id, not reasons, tuple(reasons))
