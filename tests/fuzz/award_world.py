"""What the fuzz tier needs to reach the contract's operations past their 404: procurements of
the fuzz owner's organisation in ``awarded`` (one within its contract limit, one past it), the
first ones made, so that the small ids the fuzzer tries address them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from market.db import Database
from market.models import Firm, Organisation
from tests.award_flow import awarded_works
from tests.bidder_pages_data import principal_of


async def populate_awards(database: Database, owner_username: str, firm_uscc: str) -> None:
    owner = await principal_of(database, owner_username)
    async with database.unit_of_work() as uow:
        # the contract names the owner's legal representative
        await uow.session.execute(
            update(Organisation).where(Organisation.id == owner.organisation_id).values(representative="李建国")
        )
        firm_id = await uow.session.scalar(select(Firm.id).where(Firm.uscc == firm_uscc))
        await uow.commit()
    assert firm_id is not None
    now = datetime.now(UTC)
    await awarded_works(database, owner, firm_id, now)
    await awarded_works(database, owner, firm_id, now, past_due=True)
