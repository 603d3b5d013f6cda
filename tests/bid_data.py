"""Building a published procurement and bidding firms on real PostgreSQL, for the bid tests
(integration, opening, lifecycle) and whoever else needs a bid."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from market.audit import Actor
from market.bidding import service as bids
from market.bidding.store import Receipt
from market.calendar_years import Calendars
from market.clock import SHANGHAI
from market.db import Database
from market.models import Organisation, OrganisationKind, Procurement, User, UserRole
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.draft_input import terms_json
from market.procurement.service import Amended
from market.procurement.terms import load_procurement_terms
from market.sealed.bids import Quote
from market.sealed.keys import KeyEncryptionKey
from tests import draw_data
from tests.registry_data import VOCABULARY, admitted_firm, intermediary
from tests.unit.procurement.conftest import service_draft

TERMS = load_procurement_terms()
CALENDARS = Calendars()
BID_KEY = KeyEncryptionKey(bytes(range(32)))
PUBLISHED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # Monday
DEADLINE = datetime(2026, 11, 9, 10, 0, tzinfo=SHANGHAI)  # service_draft's bid deadline
BEFORE = datetime(2026, 11, 5, 9, 0, tzinfo=SHANGHAI)  # while bidding is open
LATER = BEFORE + timedelta(hours=1)  # still open
_SERIAL = itertools.count(1)


def acting(principal: Principal, address: str = "192.0.2.9") -> Actor:
    return Actor(principal.user_id, principal.username, address)


def amount(value: str) -> Quote:
    return Quote("amount", Decimal(value))


async def _user(database: Database, organisation_id: int, role: Role, uscc: str | None = None) -> Principal:
    async with database.unit_of_work() as uow:
        user = User(
            username=f"{role.value}-{organisation_id}-{next(_SERIAL)}",
            display_name="经办人",
            password_hash="x",
            organisation_id=organisation_id,
        )
        uow.session.add(user)
        await uow.session.flush()
        uow.session.add(UserRole(user_id=user.id, role=role))
        await uow.commit()
        return Principal(user.id, user.username, user.display_name, frozenset({role}), organisation_id, uscc)


async def owner(database: Database, name: str = "韶关市交通运输局") -> Principal:
    async with database.unit_of_work() as uow:
        org = Organisation(kind=OrganisationKind.OWNER, name=name)
        uow.session.add(org)
        await uow.session.flush()
        await uow.commit()
        org_id = org.id
    return await _user(database, org_id, Role.OWNER)


async def bidder(database: Database, serial: int, **overrides: Any) -> Principal:
    """A user of a freshly admitted intermediary firm."""
    raw = intermediary(serial, **overrides)
    firm_id = await admitted_firm(database, raw, now=PUBLISHED_AT)
    return await _user(database, firm_id, Role.INTERMEDIARY, raw["uscc"])


async def published(database: Database, by: Principal, **changes: Any) -> Procurement:
    """A published intermediary-service procurement (service_draft with ``changes``)."""
    async with database.unit_of_work() as uow:
        row = await service.create_draft(
            uow, acting(by), by, terms_json(service_draft(**changes)), PUBLISHED_AT
        )
        calendar = await CALENDARS.current(uow)
        row = await draw_data.publish(
            uow,
            acting(by),
            by,
            row.id,
            PUBLISHED_AT,
            calendar,
            TERMS,
            vocabulary=VOCABULARY,
            eligible_count=5,
            bid_key=BID_KEY,
        )
        await uow.commit()
    async with database.sessions() as session:  # with the columns the server set (updated_at)
        stored = await session.get(Procurement, row.id)
        assert stored is not None
        return stored


async def submit_bid(
    database: Database, who: Principal, procurement_id: int, quote: Quote, now: datetime = BEFORE, **kw: Any
) -> Receipt:
    """A bid through the service (market.bidding.service.submit), committed; ``kw``: the
    service's own keywords (attachments, idempotency_key, request_body)."""
    async with database.unit_of_work() as uow:
        receipt = await bids.submit(
            uow,
            acting(who),
            who,
            BID_KEY,
            procurement_id,
            quote,
            now,
            vocabulary=VOCABULARY,
            terms=TERMS,
            **kw,
        )
        await uow.commit()
        return receipt


async def replace_bid(
    database: Database, who: Principal, bid_id: int, quote: Quote, now: datetime = LATER, **kw: Any
) -> Receipt:
    """A new version through the service (market.bidding.service.replace), committed."""
    async with database.unit_of_work() as uow:
        receipt = await bids.replace(
            uow, acting(who), who, BID_KEY, bid_id, quote, now, vocabulary=VOCABULARY, terms=TERMS, **kw
        )
        await uow.commit()
        return receipt


async def amend_ceiling(database: Database, buyer: Principal, procurement_id: int, ceiling: str) -> Amended:
    """The owner's amendment of service_draft's ceiling (调整最高限价), committed: a change bidders
    rely on, so bids in before it must be re-confirmed."""
    async with database.unit_of_work() as uow:
        calendar = await CALENDARS.current(uow)
        amended = await service.amend(
            uow,
            acting(buyer),
            buyer,
            procurement_id,
            terms_json(service_draft(ceiling=Decimal(ceiling))),
            BEFORE,
            calendar,
            TERMS,
            reason="调整最高限价",
            vocabulary=VOCABULARY,
        )
        await uow.commit()
        return amended
