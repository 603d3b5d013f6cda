"""A service procurement driven through the real lifecycle to ``selected`` (bids, the
opening, the owner's reveal, the draw) and on to ``awarded``, with an injected time; and
the owner organisation given the identity its notices name. Shared by the award-document
integration, end-to-end and browser tests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from market.db import Database
from market.lifecycle import Advanced
from market.models import Award, Organisation, Procurement, SelectionRecordRow, User
from market.passwords import hash_password
from market.principal import Principal
from market.procurement.states import ProcurementStatus
from tests.bid_data import DEADLINE, amount, bidder, owner, submit_bid
from tests.integration.test_lifecycle import _advancing
from tests.lifecycle_data import owner_reveals, published_for_draw
from tests.registry_data import uscc

OWNER_NAME = "韶关市浈江区住房和城乡建设管理局"
OWNER_USCC = uscc(930_001)
CONTACT = "王工"  # the procurement's contact person


@dataclass
class Selected:
    procurement_id: int
    reference: str
    owner: Principal
    bidders: list[Principal]
    advance: Callable[[datetime], Awaitable[Advanced]]
    selected_at: datetime


async def identify_owner(
    database: Database, organisation_id: int, *, code: str = OWNER_USCC, representative: str = ""
) -> None:
    """What the registry of organisations would hold: the owner's USCC and address."""
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(Organisation)
            .where(Organisation.id == organisation_id)
            .values(uscc=code, address="韶关市浈江区东堤中路1号", representative=representative)
        )
        await uow.commit()


async def selected_service(database: Database, *, bidders: int = 3, identified: bool = True) -> Selected:
    """Published, bid on by ``bidders`` firms, opened, revealed and drawn: ``selected``."""
    buyer = await owner(database, OWNER_NAME)
    assert buyer.organisation_id is not None
    if identified:
        await identify_owner(database, buyer.organisation_id)
    row = await published_for_draw(
        database,
        buyer,
        bid_deadline=DEADLINE,
        selection_time=DEADLINE + timedelta(days=1),
        contact_name=CONTACT,
        contact_phone="0751-8881234",
    )
    assert row.reference is not None
    users = [await bidder(database, 820 + n) for n in range(bidders)]
    for n, user in enumerate(users):
        await submit_bid(database, user, row.id, amount(f"{150000 + n * 1000}.00"))
    advance = _advancing(database)
    await advance(DEADLINE)
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))
    async with database.sessions() as session:
        frozen = await session.get(Procurement, row.id, populate_existing=True)
    assert frozen is not None
    await advance(frozen.selection_time)
    async with database.sessions() as session:
        status = await session.scalar(select(Procurement.status).where(Procurement.id == row.id))
    assert status is ProcurementStatus.SELECTED, status
    return Selected(row.id, row.reference, buyer, users, advance, frozen.selection_time)


async def current(database: Database, procurement_id: int) -> Award:
    async with database.sessions() as session:
        award = await session.scalar(
            select(Award)
            .where(Award.procurement_id == procurement_id, Award.ended_at.is_(None))
            .execution_options(populate_existing=True)
        )
    assert award is not None
    return award


async def awarded(database: Database, selected: Selected) -> Award:
    """The publicity ends with no objection: the lifecycle awards."""
    award = await current(database, selected.procurement_id)
    await selected.advance(award.publicity_ends_at)
    return await current(database, selected.procurement_id)


async def give_passwords(database: Database, *principals: Principal, password: str) -> None:
    """The flow's users are made without a password; these may then sign in."""
    hashed = hash_password(password)
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(User).where(User.id.in_([p.user_id for p in principals])).values(password_hash=hashed)
        )
        await uow.commit()


async def written_award(database: Database, by: Principal, firm_id: int, *, now: datetime) -> int:
    """A published procurement of ``by``'s organisation put straight into ``selected`` with
    an open award of ``firm_id`` (and a minimal record): for tiers whose app runs on the real
    clock (fuzz), where the lifecycle cannot be driven to a selection."""
    row = await published_for_draw(database, by)
    async with database.unit_of_work() as uow:
        code = await uow.session.scalar(select(Organisation.uscc).where(Organisation.id == firm_id))
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None and code is not None
        record = json.dumps({"inputs": {"candidates": [code]}, "winners": [code], "alternates": []})
        uow.session.add(
            SelectionRecordRow(
                procurement_id=row.id,
                round=1,
                record=record,
                digest=hashlib.sha256(record.encode()).hexdigest(),
                outcome="selected",
                created_at=now,
            )
        )
        uow.session.add(
            Award(
                procurement_id=row.id,
                round=1,
                rank=1,
                firm_id=firm_id,
                uscc=code,
                amount=Decimal("98000.00"),
                selected_at=now,
                publicity_ends_at=now + timedelta(days=3),
            )
        )
        # the lifecycle's clock reads the publicity's end from the row: nothing due meanwhile
        stored.status, stored.publicity_ends_at = ProcurementStatus.SELECTED, now + timedelta(days=3)
        stored.next_check = stored.publicity_ends_at
        await uow.commit()
    return row.id
