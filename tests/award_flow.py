"""A service procurement taken to ``awarded`` with the real lifecycle (publication, three
bids, the owner's reveal, the draw, the publicity's end), for the contract's tests: its
owner, its bidders and which of them won. The owner organisation gets the address, code and
representative the contract names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from market.db import Database
from market.models import Award, Organisation, Procurement, User
from market.principal import Principal
from tests.bid_data import DEADLINE, amount, bidder, owner
from tests.integration.test_bid_opening import _submit
from tests.integration.test_lifecycle import _advancing
from tests.lifecycle_data import owner_reveals, published_for_draw

OWNER_USCC = "11440200MB2C12340D"


@dataclass
class Awarded:
    row: Procurement
    buyer: Principal
    bidders: list[Principal]
    award: Award
    awarded_at: datetime

    @property
    def winner(self) -> Principal:
        return next(b for b in self.bidders if b.organisation_id == self.award.firm_id)

    @property
    def losers(self) -> list[Principal]:
        return [b for b in self.bidders if b.organisation_id != self.award.firm_id]


async def name_user(database: Database, who: Principal, display_name: str) -> None:
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(User).where(User.id == who.user_id).values(display_name=display_name)
        )
        await uow.commit()


async def awarded_service(database: Database, serial: int = 900, *, alternates: int = 2) -> Awarded:
    buyer = await owner(database, "韶关市浈江区住房和城乡建设管理局")
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(Organisation)
            .where(Organisation.id == buyer.organisation_id)
            .values(uscc=OWNER_USCC, address="广东省韶关市浈江区解放路128号", representative="李建国")
        )
        await uow.commit()
    row = await published_for_draw(
        database,
        buyer,
        bid_deadline=DEADLINE,
        selection_time=DEADLINE + timedelta(days=1),
        alternates=alternates,
    )
    bidders = [await bidder(database, serial + n) for n in range(3)]
    for n, who in enumerate(bidders):
        await _submit(database, who, row.id, amount(f"{150000 + n * 1000}.00"))
    advance = _advancing(database)
    await advance(DEADLINE)
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))
    async with database.sessions() as session:
        frozen = await session.get(Procurement, row.id, populate_existing=True)
        assert frozen is not None
    await advance(frozen.selection_time)
    async with database.sessions() as session:
        selected = await session.get(Procurement, row.id, populate_existing=True)
        assert selected is not None and selected.publicity_ends_at is not None
    ends = selected.publicity_ends_at
    await advance(ends)
    async with database.sessions() as session:
        award = await session.scalar(
            select(Award).where(Award.procurement_id == row.id, Award.ended_at.is_(None))
        )
        awarded = await session.get(Procurement, row.id, populate_existing=True)
    assert award is not None and awarded is not None and awarded.status.value == "awarded", awarded
    return Awarded(awarded, buyer, bidders, award, ends)
