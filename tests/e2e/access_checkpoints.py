"""Access-matrix rows for the audit chain's published checkpoints: public to read and to
check, on the API and on the page (审计链检查点)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from market import audit_checkpoints
from tests.e2e.access_cells import Expect, everyone
from tests.e2e.access_world import World


async def setup(world: World) -> None:
    row = await audit_checkpoints.publish_now(world.database, datetime.now(UTC))
    assert row is not None
    world.extras["checkpoint"] = f"{row.seq}:{row.hash}"


async def _verify(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/api/audit/checkpoints/verify", {"json": {"checkpoints": [world.extras["checkpoint"]]}}


async def _page_check(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", "/checkpoints", {"data": {"checkpoints": world.extras["checkpoint"]}}


async def _list(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/api/audit/checkpoints", {}


async def _page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/checkpoints", {}


ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /api/audit/checkpoints": (_list, everyone(200)),
    "POST /api/audit/checkpoints/verify": (_verify, everyone(200)),
    "GET /checkpoints": (_page, everyone(200)),
    "POST /checkpoints": (_page_check, everyone(200)),
}
