"""A service procurement taken to ``awarded`` with the real lifecycle (publication, three
bids, the owner's reveal, the draw, the publicity's end), for the contract's tests: its
owner, its bidders and which of them won. The owner organisation gets the address, code and
representative the contract names."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from market.audit import Actor
from market.award import limits
from market.calendar_years import Calendars
from market.clock import local
from market.db import Database
from market.models import Award, Organisation, Procurement, SelectionRecordRow, User
from market.principal import Principal
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey
from tests import draw_data
from tests.bid_data import BID_KEY, DEADLINE, TERMS, amount, bidder, owner, submit_bid
from tests.integration.test_lifecycle import _advancing
from tests.lifecycle_data import owner_reveals, published_for_draw
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import works_draft

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


async def in_publicity(database: Database, serial: int = 900, *, alternates: int = 2) -> Awarded:
    """Published, bid on by three firms, drawn: ``selected``, its result in publicity (the
    award row is the one proposed; ``awarded_at`` is when the publicity ends)."""
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
        await submit_bid(database, who, row.id, amount(f"{150000 + n * 1000}.00"))
    advance = _advancing(database)
    await advance(DEADLINE)
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))
    async with database.sessions() as session:
        frozen = await session.get(Procurement, row.id, populate_existing=True)
        assert frozen is not None
    await advance(frozen.selection_time)
    async with database.sessions() as session:
        selected = await session.get(Procurement, row.id, populate_existing=True)
        award = await session.scalar(
            select(Award).where(Award.procurement_id == row.id, Award.ended_at.is_(None))
        )
    assert selected is not None and selected.publicity_ends_at is not None and award is not None
    return Awarded(selected, buyer, bidders, award, selected.publicity_ends_at)


async def awarded_service(database: Database, serial: int = 900, *, alternates: int = 2) -> Awarded:
    """:func:`in_publicity`, then the publicity's end: ``awarded``."""
    selected = await in_publicity(database, serial, alternates=alternates)
    ends = selected.awarded_at
    await _advancing(database)(ends)
    async with database.sessions() as session:
        award = await session.scalar(
            select(Award).where(Award.procurement_id == selected.row.id, Award.ended_at.is_(None))
        )
        awarded = await session.get(Procurement, selected.row.id, populate_existing=True)
    assert award is not None and awarded is not None and awarded.status.value == "awarded", awarded
    return Awarded(awarded, selected.buyer, selected.bidders, award, ends)


async def awarded_works(
    database: Database,
    owner_principal: Principal,
    firm_id: int,
    now: datetime,
    *,
    vocabulary: Vocabulary = VOCABULARY,
    bid_key: KeyEncryptionKey = BID_KEY,
    past_due: bool = False,
) -> tuple[int, int]:
    """(procurement id, award id): a small works of ``owner_principal``'s organisation put in
    ``awarded`` directly — published, a record drawing ``firm_id`` alone, its award and both
    contract limits (already past due with ``past_due``) — for tests on the real clock that
    check who may act, not how a procurement gets there (that is :func:`awarded_service`)."""
    selection = local(now + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    raw = terms_json(works_draft(work_field="housing_municipal", selection_time=selection))
    actor = Actor(owner_principal.user_id, owner_principal.username)
    async with database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner_principal, raw, now)
        calendar = await Calendars().current(uow)
        row = await draw_data.publish(
            uow, actor, owner_principal, row.id, now, calendar, TERMS,
            vocabulary=vocabulary, eligible_count=5, bid_key=bid_key,
        )  # fmt: skip
        uscc = await uow.session.scalar(select(Organisation.uscc).where(Organisation.id == firm_id))
        assert uscc is not None
        record = json.dumps({"winners": [uscc], "alternates": [], "outcome": "selected"})
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
        awarded_at = now - timedelta(days=31) if past_due else now
        due = awarded_at + timedelta(days=30)
        award = Award(
            procurement_id=row.id,
            round=1,
            rank=1,
            firm_id=firm_id,
            uscc=uscc,
            amount=row.ceiling,
            selected_at=awarded_at - timedelta(days=3),
            publicity_ends_at=awarded_at,
            awarded_at=awarded_at,
            contract_due_at=due,
        )
        uow.session.add(award)
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status = ProcurementStatus.AWARDED
        await uow.session.flush()
        subject = limits.subject_of("award", award.id)
        await limits.start(uow, stored, "contract_owner", subject, "owner", started_at=awarded_at, due_at=due)
        await limits.start(uow, stored, "contract_firm", subject, "firm", started_at=awarded_at, due_at=due)
        await uow.commit()
        return row.id, award.id
