"""A service procurement taken to its published result (结果公示) on real PostgreSQL with the
real lifecycle, for the objection tests: four bids, the owner's reveal, the selection; and
the services of an objection called as their routes call them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from market.award import objections
from market.award.case_files import Upload
from market.db import Database
from market.draw import service as draw
from market.models import Award, Objection, Procurement, User, UserRole
from market.principal import Principal, Role
from market.procurement.terms import ProcurementTerms
from selection.ceremony import commitment
from tests.bid_data import BID_KEY, DEADLINE, TERMS, acting, amount, bidder, owner, submit_bid
from tests.integration.test_lifecycle import _advancing, _publish_due
from tests.lifecycle_data import owner_reveals

QUOTES = ("150000.00", "120000.00", "135000.00", "160000.00")  # 120000 wins, 135000 next


@dataclass
class Selected:
    owner: Principal
    row: Procurement
    firms: list[Principal]  # in the order of QUOTES
    selected_at: datetime

    @property
    def winner(self) -> Principal:
        return self.firms[1]


async def selected(database: Database, first: int = 900) -> Selected:
    buyer = await owner(database)
    [row] = await _publish_due(database, buyer, [0])
    firms = []
    for n, quote in enumerate(QUOTES):
        firm = await bidder(database, first + n)
        await submit_bid(database, firm, row.id, amount(quote))
        firms.append(firm)
    advance = _advancing(database)
    await advance(DEADLINE)
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))
    await advance(row.selection_time)
    return Selected(buyer, await reload(database, row.id), firms, row.selection_time)


async def supervisor(database: Database, organisation_id: int | None = None) -> Principal:
    """A supervisor's account (of ``organisation_id``: the owner's own to test the refusal)."""
    async with database.unit_of_work() as uow:
        user = User(
            username=f"supervisor-{secrets.token_hex(4)}",
            display_name="监督员",
            password_hash="x",
            organisation_id=organisation_id,
        )
        uow.session.add(user)
        await uow.session.flush()
        uow.session.add(UserRole(user_id=user.id, role=Role.SUPERVISOR))
        await uow.commit()
        return Principal(
            user.id, user.username, user.display_name, frozenset({Role.SUPERVISOR}), organisation_id
        )


async def reload(database: Database, procurement_id: int) -> Procurement:
    async with database.sessions() as session:
        found = await session.get(Procurement, procurement_id, populate_existing=True)
        assert found is not None
        return found


async def awards(database: Database, procurement_id: int) -> list[Award]:
    async with database.sessions() as session:
        return list(
            await session.scalars(
                select(Award).where(Award.procurement_id == procurement_id).order_by(Award.id)
            )
        )


async def objection(database: Database, objection_id: int) -> Objection:
    async with database.sessions() as session:
        found = await session.get(Objection, objection_id, populate_existing=True)
        assert found is not None
        return found


async def lodge(
    database: Database, who: Principal, row: Procurement, now: datetime, files: Sequence[Upload] = ()
) -> Objection:
    async with database.unit_of_work() as uow:
        made = await objections.lodge(
            uow, acting(who), who, row.id, "中选单位资质证书已过期", files, now, terms=TERMS
        )
        await uow.commit()
        return made


async def answer(
    database: Database,
    who: Principal,
    objection_id: int,
    decision: str,
    now: datetime,
    terms: ProcurementTerms = TERMS,
) -> None:
    async with database.unit_of_work() as uow:
        await objections.answer(
            uow, acting(who), who, BID_KEY, objection_id, decision, "经核查，答复如下。", now, terms=terms
        )
        await uow.commit()


async def complain(database: Database, who: Principal, objection_id: int, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await objections.complain(uow, acting(who), who, objection_id, "答复未说明理由", (), now, terms=TERMS)
        await uow.commit()


async def decide(database: Database, who: Principal, objection_id: int, decision: str, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await objections.decide(
            uow, acting(who), who, BID_KEY, objection_id, decision, "经调查核实。", now, terms=TERMS
        )
        await uow.commit()


async def owner_commits(
    database: Database, who: Principal, row: Procurement, round_number: int, now: datetime
) -> str:
    """The owner's commitment to a redrawn round; returns the secret it keeps."""
    assert row.reference is not None
    secret = secrets.token_hex(32)
    async with database.unit_of_work() as uow:
        await draw.commit(
            uow,
            acting(who),
            who,
            row.id,
            commitment(row.reference, round_number, "owner", secret),
            now,
            terms=TERMS,
        )
        await uow.commit()
    return secret


async def reveal(database: Database, who: Principal, row: Procurement, secret: str, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await draw.reveal(uow, acting(who), who, row.id, "owner", secret, now)
        await uow.commit()
