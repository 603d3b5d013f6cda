"""Access-matrix rows for what the platform publishes for anyone: the audit chain's
checkpoints (to read and to check, on the API and on the page) and the OCDS open data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from market import audit_checkpoints
from market.models import Procurement
from tests.e2e.access_cells import Expect, everyone
from tests.e2e.access_world import World


async def setup(world: World) -> None:
    row = await audit_checkpoints.publish_now(world.database, datetime.now(UTC))
    assert row is not None
    world.extras["checkpoint"] = f"{row.seq}:{row.hash}"
    async with world.database.sessions() as session:
        reference = await session.scalar(
            select(Procurement.reference)
            .where(Procurement.reference.is_not(None))
            .order_by(Procurement.id)
            .limit(1)
        )
    assert reference is not None
    world.extras["ocid"] = f"ocds-sg0000-{reference}"


async def _verify(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/api/audit/checkpoints/verify", {"json": {"checkpoints": [world.extras["checkpoint"]]}}


async def _page_check(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/checkpoints", {"data": {"checkpoints": world.extras["checkpoint"]}}


async def _list(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/api/audit/checkpoints", {}


async def _page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/checkpoints", {}


async def _record(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/ocds/records/{world.extras['ocid']}", {}


async def _releases(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/ocds/releases?limit=5", {}


ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /ocds/releases": (_releases, everyone(200)),
    "GET /ocds/records/{ocid:str}": (_record, everyone(200)),
    "GET /api/audit/checkpoints": (_list, everyone(200)),
    "POST /api/audit/checkpoints/verify": (_verify, everyone(200)),
    "GET /checkpoints": (_page, everyone(200)),
    "POST /checkpoints": (_page_check, everyone(200)),
}
