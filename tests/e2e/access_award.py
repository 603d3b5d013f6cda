"""Access-matrix rows for the result (结果公示) and a procurement's documents: both public
reads, each answer cut to what the reader may see (the end-to-end test checks the content:
tests/e2e/test_award_publicity.py).

The matrix app runs on the real clock, so the award is written directly: a small works of
the owner principal offered to the contractor principal's firm (access_offers), then
selected with an open award."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.models import Award, Organisation, Procurement
from market.procurement.states import ProcurementStatus
from tests.e2e.access_cells import Expect, everyone
from tests.e2e.access_offers import _offered
from tests.e2e.access_world import World


async def _awarded(world: World) -> int:
    procurement_id, _ = await _offered(world)
    now = datetime.now(UTC)
    async with world.database.unit_of_work() as uow:
        uscc = await uow.session.scalar(
            select(Organisation.uscc).where(Organisation.id == world.contractor_firm)
        )
        row = await uow.session.get(Procurement, procurement_id)
        assert row is not None and uscc is not None
        row.status, row.offer_due_at = ProcurementStatus.SELECTED, None
        uow.session.add(
            Award(
                procurement_id=procurement_id,
                round=1,
                rank=1,
                firm_id=world.contractor_firm,
                uscc=uscc,
                amount=Decimal("98000.00"),
                selected_at=now,
                publicity_ends_at=now + timedelta(days=3),
            )
        )
        await uow.commit()
    return procurement_id


def _read(tail: str) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        return "GET", f"/api/procurements/{world.extras['awarded_procurement']}/{tail}", {}

    return build


async def setup(world: World) -> None:
    world.extras["awarded_procurement"] = await _awarded(world)


ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /api/procurements/{procurement_id:int}/award": (_read("award"), everyone(200)),
    "GET /api/procurements/{procurement_id:int}/documents": (_read("documents"), everyone(200)),
}
