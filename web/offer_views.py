"""A small works' offer chain for its public page, with times in China time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from market.draw import offer_views
from market.principal import Principal
from web.procurement_page_views import china_time


@dataclass(frozen=True, slots=True)
class ChainRow:
    rank: int
    firm_name: str
    uscc: str
    offered_at: str
    due_at: str
    answer: str | None
    answered_at: str
    reason: str


async def offer_chain_page(uow: Any, principal: Principal | None, procurement_id: int) -> list[ChainRow]:
    """The chain of the procurement (empty before its draw, and for kinds with bids)."""
    return [
        ChainRow(
            line.rank,
            line.firm_name,
            line.uscc,
            china_time(line.offered_at),
            china_time(line.due_at),
            line.answer,
            china_time(line.answered_at),
            line.reason,
        )
        for line in await offer_views.offer_chain(uow, principal, procurement_id)
    ]
