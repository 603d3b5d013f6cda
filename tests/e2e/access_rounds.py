"""Access-matrix rows for what follows 流标 (web/controllers/rounds.py and round_pages.py):
re-publication, the owner's request for direct selection, the supervisors' decisions, and
their pages.

Every cell that acts gets fresh data of its own (a failed procurement, a chain of two failed
attempts, a pending request), made in the database: the rows test who may act; when, and
with what, is the end-to-end tests' (tests/e2e/test_failed_rounds.py). Failed procurements
are public, so another owner sees one and is refused (403) rather than not finding it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from market.models import DirectRequest, Procurement
from market.procurement.states import ProcurementStatus
from tests.e2e.access_cells import SIGNED_IN, only
from tests.e2e.access_draw import _owner, _published
from tests.e2e.access_owner_pages import NO_REDIRECT, SEE_OTHER, owner_pages
from tests.e2e.access_world import ANONYMOUS, OTHER_OWNER, OWNER_P, SUPERVISOR, World
from tests.registry_data import admitted_firm, intermediary

FIRM = "rounds.firm"  # the USCC of an admitted cost consultant, eligible for the drafts' terms
SHOWN = "rounds.shown"  # a failed procurement the page rows only look at


async def _failed(world: World, previous: Procurement | None = None) -> Procurement:
    """A fresh procurement of the owner principal that failed (流标), after ``previous``."""
    row = await _published(world)
    async with world.database.unit_of_work() as uow:
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status = ProcurementStatus.FAILED
        stored.next_check = None
        if previous is not None:
            stored.previous_id, stored.attempt = previous.id, previous.attempt + 1
        await uow.commit()
        return stored


async def _twice_failed(world: World) -> Procurement:
    return await _failed(world, await _failed(world))


async def _pending(world: World) -> int:
    """A request for direct selection waiting on a fresh chain of two failed attempts."""
    failed = await _twice_failed(world)
    owner = await _owner(world)
    async with world.database.unit_of_work() as uow:
        firm_id = world.extras[FIRM + ".id"]
        request = DirectRequest(
            procurement_id=failed.id,
            firm_id=firm_id,
            reason="两次流标",
            requested_by=owner.user_id,
            requested_at=datetime.now(UTC),
        )
        uow.session.add(request)
        await uow.commit()
        return request.id


async def setup(world: World) -> None:
    raw = intermediary(960_001)
    world.extras[FIRM + ".id"] = await admitted_firm(
        world.database, raw, now=datetime.now(UTC) - timedelta(days=30)
    )
    world.extras[FIRM] = raw["uscc"]
    world.extras[SHOWN] = (await _failed(world)).id


async def _republish(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/api/procurements/{(await _failed(world)).id}/republish", {}


async def _request(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    body = {"uscc": world.extras[FIRM], "reason": "两次流标，该企业熟悉前期资料"}
    return "POST", f"/api/procurements/{(await _twice_failed(world)).id}/direct-requests", {"json": body}


async def _decide(world: World, who: str, verb: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/api/direct-requests/{await _pending(world)}/{verb}", {"json": {"note": "意见"}}


async def _approve(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return await _decide(world, who, "approve")


async def _reject(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return await _decide(world, who, "reject")


async def _list(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/api/direct-requests?status=all", {}


# -- pages -------------------------------------------------------------------------------------
async def _rounds_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/my/procurements/{world.extras[SHOWN]}/rounds", NO_REDIRECT


async def _republish_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/my/procurements/{(await _failed(world)).id}/republish", {"data": {}, **NO_REDIRECT}


async def _request_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    data = {"uscc": world.extras[FIRM], "reason": "两次流标，该企业熟悉前期资料"}
    path = f"/my/procurements/{(await _twice_failed(world)).id}/direct-requests"
    return "POST", path, {"data": data, **NO_REDIRECT}


async def _supervision_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", "/supervision/direct-requests", NO_REDIRECT


async def _decide_page(world: World, verb: str) -> tuple[str, str, dict[str, Any]]:
    path = f"/supervision/direct-requests/{await _pending(world)}/{verb}"
    return "POST", path, {"data": {"note": "意见"}, **NO_REDIRECT}


async def _approve_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return await _decide_page(world, "approve")


async def _reject_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return await _decide_page(world, "reject")


def supervisor_pages(ok: int) -> dict[str, int]:
    """Supervisors get ``ok``; other signed-in accounts 403; a visitor is sent to sign in."""
    expected = {who: (ok if who == SUPERVISOR else 403) for who in SIGNED_IN}
    expected[ANONYMOUS] = SEE_OTHER
    return expected


ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    "POST /api/procurements/{procurement_id:int}/republish": (
        _republish,
        only(OWNER_P, ok=201, **{OTHER_OWNER: 403}),
    ),
    "POST /api/procurements/{procurement_id:int}/direct-requests": (
        _request,
        only(OWNER_P, ok=201, **{OTHER_OWNER: 403}),
    ),
    "GET /api/direct-requests": (_list, only(OWNER_P, OTHER_OWNER, SUPERVISOR)),
    "POST /api/direct-requests/{request_id:int}/approve": (_approve, only(SUPERVISOR)),
    "POST /api/direct-requests/{request_id:int}/reject": (_reject, only(SUPERVISOR)),
    "GET /my/procurements/{procurement_id:int}/rounds": (
        _rounds_page,
        owner_pages(200, **{OTHER_OWNER: 403}),
    ),
    "POST /my/procurements/{procurement_id:int}/republish": (
        _republish_page,
        owner_pages(SEE_OTHER, **{OTHER_OWNER: 403}),
    ),
    "POST /my/procurements/{procurement_id:int}/direct-requests": (
        _request_page,
        owner_pages(SEE_OTHER, **{OTHER_OWNER: 403}),
    ),
    "GET /supervision/direct-requests": (_supervision_page, supervisor_pages(200)),
    "POST /supervision/direct-requests/{request_id:int}/approve": (
        _approve_page,
        supervisor_pages(SEE_OTHER),
    ),
    "POST /supervision/direct-requests/{request_id:int}/reject": (_reject_page, supervisor_pages(SEE_OTHER)),
}
