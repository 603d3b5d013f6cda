"""Procurements published with the draw's ceremony (the owner's commitment, the audit-head
beacon) for the lifecycle's tests and bench: the owner's secret is derived from the
reference, so that whoever drives the draw can reveal it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from market.db import Database
from market.draw import service as draw
from market.draw.declaration import AUDIT_HEAD, ROUND
from market.models import Procurement
from market.principal import Principal
from market.procurement import service
from market.procurement.draft_input import terms_json
from selection.ceremony import commitment
from tests.bid_data import BID_KEY, CALENDARS, PUBLISHED_AT, TERMS, acting
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import service_draft


def owner_secret(reference: str) -> str:
    return hashlib.sha256(f"owner-secret/{reference}".encode()).hexdigest()


async def published_for_draw(
    database: Database, by: Principal, *, now: datetime = PUBLISHED_AT, **changes: Any
) -> Procurement:
    """A published intermediary-service procurement (service_draft with ``changes``) whose
    owner committed to the draw."""
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, acting(by), by, terms_json(service_draft(**changes)), now)
        reference = await service.reserve_reference(uow, acting(by), by, row.id, now, TERMS)
        calendar = await CALENDARS.current(uow)
        row = await service.publish(
            uow,
            acting(by),
            by,
            row.id,
            now,
            calendar,
            TERMS,
            vocabulary=VOCABULARY,
            eligible_count=5,
            bid_key=BID_KEY,
            owner_commitment=commitment(reference, ROUND, "owner", owner_secret(reference)),
            beacon=AUDIT_HEAD,
        )
        await uow.commit()
    async with database.sessions() as session:
        stored = await session.get(Procurement, row.id)
        assert stored is not None
        return stored


async def owner_reveals(database: Database, by: Principal, row: Procurement, now: datetime) -> None:
    assert row.reference is not None
    async with database.unit_of_work() as uow:
        await draw.reveal(uow, acting(by), by, row.id, "owner", owner_secret(row.reference), now)
        await uow.commit()
