"""Procurements published with the draw's ceremony for the lifecycle's tests and bench: the
owner's commitment (:mod:`tests.draw_data`, which keeps the secret) and the audit-head beacon,
so that the draw needs nobody but the owner, who reveals in the window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market.db import Database
from market.draw import service as draw
from market.draw.declaration import AUDIT_HEAD
from market.models import Procurement
from market.principal import Principal
from market.procurement import service
from market.procurement.draft_input import terms_json
from market.sealed.keys import KeyEncryptionKey
from tests import draw_data
from tests.bid_data import BID_KEY, CALENDARS, PUBLISHED_AT, TERMS, acting
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import service_draft


async def published_for_draw(
    database: Database,
    by: Principal,
    *,
    now: datetime = PUBLISHED_AT,
    bid_key: KeyEncryptionKey = BID_KEY,
    **changes: Any,
) -> Procurement:
    """A published intermediary-service procurement (service_draft with ``changes``)."""
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, acting(by), by, terms_json(service_draft(**changes)), now)
        calendar = await CALENDARS.current(uow)
        row = await draw_data.publish(
            uow,
            acting(by),
            by,
            row.id,
            now,
            calendar,
            TERMS,
            beacon=AUDIT_HEAD,
            vocabulary=VOCABULARY,
            eligible_count=5,
            bid_key=bid_key,
        )
        await uow.commit()
    async with database.sessions() as session:
        stored = await session.get(Procurement, row.id)
        assert stored is not None
        return stored


async def owner_reveals(database: Database, by: Principal, row: Procurement, now: datetime) -> None:
    assert row.reference is not None
    secret = draw_data.OWNER_SECRETS[row.reference]
    async with database.unit_of_work() as uow:
        await draw.reveal(uow, acting(by), by, row.id, "owner", secret, now)
        await uow.commit()
