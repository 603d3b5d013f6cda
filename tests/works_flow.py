"""A small-works procurement drawn from the contractor pool on real PostgreSQL, with an
injected time: published with the owner's commitment, frozen at the pool's freeze, revealed,
drawn, offered. Shared by the small-works integration, end-to-end and browser tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from market.db import Database
from market.draw import offers
from market.draw.declaration import BeaconDeclaration
from market.draw.offer_rules import CONFIRMED, DECLINED
from market.lifecycle import advance
from market.models import ContractorOffer, Procurement
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.draft_input import terms_json
from tests import draw_data
from tests.bid_data import BID_KEY, CALENDARS, PUBLISHED_AT, TERMS, _user, acting
from tests.draw_flow import reveal
from tests.registry_data import VOCABULARY, admitted_firm, contractor
from tests.unit.procurement.conftest import at, works_draft

AUDIT_HEAD = BeaconDeclaration("audit_head", "audit_head", "平台审计链头")
SELECTION = at(2026, 11, 9, 10, 0)  # works_draft's selection time (a Monday)
REVEAL_DEADLINE = SELECTION - timedelta(minutes=60)
POOL_FREEZE = REVEAL_DEADLINE - timedelta(minutes=120)
IN_WINDOW = POOL_FREEZE + timedelta(minutes=30)
NEXT_DAY = SELECTION + timedelta(days=1)  # one working day after the selection: an offer's limit


async def contractors(database: Database, count: int, *, first: int = 700) -> list[Principal]:
    """Users of ``count`` freshly admitted contractors of the housing field (serials from
    ``first``), in serial order."""
    users = []
    for serial in range(first, first + count):
        raw = contractor(serial)
        firm_id = await admitted_firm(database, raw, now=PUBLISHED_AT)
        users.append(await _user(database, firm_id, Role.CONTRACTOR, raw["uscc"]))
    return users


async def published_works(
    database: Database, by: Principal, *, beacon: BeaconDeclaration = AUDIT_HEAD, **changes: Any
) -> Procurement:
    """A published small-works procurement drawn at random from the housing field's pool."""
    draft = works_draft(work_field="housing_municipal", **changes)
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, acting(by), by, terms_json(draft), PUBLISHED_AT)
        calendar = await CALENDARS.current(uow)
        row = await draw_data.publish(
            uow,
            acting(by),
            by,
            row.id,
            PUBLISHED_AT,
            calendar,
            TERMS,
            beacon=beacon,
            vocabulary=VOCABULARY,
            eligible_count=5,
            bid_key=BID_KEY,
        )
        await uow.commit()
    return await reload(database, row.id)


async def reload(database: Database, procurement_id: int) -> Procurement:
    async with database.sessions() as session:
        found = await session.get(Procurement, procurement_id)
        assert found is not None
        return found


async def run(database: Database, now: datetime) -> None:
    """What the scheduler does at ``now``."""
    await advance(database, BID_KEY, now, vocabulary=VOCABULARY, terms=TERMS)


async def reveal_owner(
    database: Database, by: Principal, row: Procurement, now: datetime = IN_WINDOW
) -> None:
    assert row.reference is not None
    secret = draw_data.OWNER_SECRETS[row.reference]
    await reveal(database, by, row, "owner", secret, now)


async def drawn(database: Database, by: Principal, row: Procurement) -> Procurement:
    """Frozen at the pool's freeze, the owner's secret revealed, drawn at the selection time."""
    await run(database, POOL_FREEZE)
    await reveal_owner(database, by, row)
    await run(database, SELECTION)
    return await reload(database, row.id)


async def offers_of(database: Database, procurement_id: int) -> list[ContractorOffer]:
    async with database.sessions() as session:
        found = await session.scalars(
            select(ContractorOffer)
            .where(ContractorOffer.procurement_id == procurement_id)
            .order_by(ContractorOffer.rank)
        )
        return list(found)


async def answer(
    database: Database, who: Principal, offer_id: int, given: str, now: datetime, reason: str = ""
) -> ContractorOffer:
    async with database.unit_of_work() as uow:
        offer = await offers.answer(uow, acting(who), who, offer_id, given, reason, now, terms=TERMS)
        await uow.commit()
        return offer


__all__ = ["CONFIRMED", "DECLINED"]
