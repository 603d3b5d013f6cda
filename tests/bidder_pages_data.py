"""What the tests of the intermediary's bidding pages need on a running app: intermediary
users who can sign in with a password, and intermediary-service procurements published
with the app's own key file (so that the app can open its data key), open from ``now``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from market import accounts
from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import local
from market.db import Database
from market.models import OrganisationKind, Procurement, Role, User
from market.principal import Principal
from market.procurement import service
from market.procurement.draft_input import terms_json
from market.procurement.terms import load_procurement_terms
from market.sealed.keys import KeyEncryptionKey
from market.settings import AuthSettings
from tests import draw_data
from tests.registry_data import VOCABULARY, admitted_firm, intermediary, uscc
from tests.unit.procurement.conftest import service_draft

PASSWORD = "a long enough password"
TERMS = load_procurement_terms()
SYSTEM = Actor.system("test")


async def user(database: Database, username: str, role: Role, organisation_id: int | None) -> Principal:
    """A user who signs in with :data:`PASSWORD`."""
    async with database.unit_of_work() as uow:
        row = await accounts.create_user(
            uow,
            SYSTEM,
            username=username,
            display_name=username,
            password=PASSWORD,
            roles=[role],
            organisation_id=organisation_id,
            auth=AuthSettings(),
        )
        await uow.commit()
        return Principal(row.id, username, username, frozenset({role}), organisation_id)


async def agency(database: Database, serial: int, username: str, *, now: datetime, **overrides: Any) -> str:
    """An admitted intermediary firm (12 practitioners, cost consulting) with one user;
    returns the firm's USCC."""
    raw = intermediary(serial, **overrides)
    firm_id = await admitted_firm(database, raw, now=now)
    await user(database, username, Role.INTERMEDIARY, firm_id)
    return str(raw["uscc"])


async def owner(database: Database, username: str, serial: int, name: str = "韶关市交通运输局") -> Principal:
    """An owner organisation (业主) and its user."""
    async with database.unit_of_work() as uow:
        organisation = await accounts.create_organisation(
            uow,
            SYSTEM,
            kind=OrganisationKind.OWNER,
            name=name,
            uscc=uscc(serial),
            address="韶关市",
            contact_phone="",
        )
        await uow.commit()
    return await user(database, username, Role.OWNER, organisation.id)


async def principal_of(database: Database, username: str) -> Principal:
    """A user already made (e.g. by the access matrix's world), as an owner principal."""
    async with database.sessions() as session:
        row = await session.scalar(select(User).where(User.username == username))
        assert row is not None, username
        return Principal(row.id, row.username, row.display_name, frozenset({Role.OWNER}), row.organisation_id)


def open_until(now: datetime, days: int = 21) -> dict[str, datetime]:
    """A bid deadline ``days`` ahead at 10:00 China time (past the minimum of working days),
    and the draw that afternoon."""
    deadline = local(now + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {"bid_deadline": deadline, "selection_time": deadline + timedelta(hours=5)}


async def publish(
    database: Database, owner: Principal, bid_key: KeyEncryptionKey, now: datetime, **changes: Any
) -> Procurement:
    """An intermediary-service procurement (``service_draft`` with ``changes``), published at
    ``now`` with the app's key file; open for three weeks unless told otherwise."""
    terms = {"avoidance": (), **open_until(now), **changes}
    actor = Actor(owner.user_id, owner.username, "192.0.2.1")
    async with database.unit_of_work() as uow:
        draft = await service.create_draft(uow, actor, owner, terms_json(service_draft(**terms)), now)
        calendar = await Calendars().current(uow)
        row = await draw_data.publish(
            uow,
            actor,
            owner,
            draft.id,
            now,
            calendar,
            TERMS,
            vocabulary=VOCABULARY,
            eligible_count=5,
            bid_key=bid_key,
        )
        await uow.commit()
        return row
