"""Access-matrix rows for the draw ceremony's pages (web/controllers/draw_pages.py): the
reveal page (owner and supervisor), the supervisor's commitment and beacon pages, and the
owner's reservation of the reference the publish step commits over.

``ROWS`` joins the matrix of :mod:`tests.e2e.test_access_matrix`; ``setup`` runs once when
the world is built (after :mod:`tests.e2e.access_owner_pages`' own, whose owner and drafts
these rows reuse). Pages send a visitor to sign in (303) where the API answers 401; a
signed-in account without the role gets 403; another organisation's owner may not reveal
for this one (403). The world runs on the system clock, so a procurement published now is
before its deadline: a reveal or a beacon through the role check is refused for its time
(409, nothing written), and a supervisor's commitment is taken (303) on a fresh procurement
per cell. A reveal or a beacon that passes the role checks is taken (303) too: each cell
gets a fresh procurement whose draw is moved, in the database, into the reveal window or
just past it — the time the pages read is the system clock's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from market import accounts
from market.audit import Actor
from market.draw import service as draw
from market.models import DrawRound, Procurement
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from selection.ceremony import commitment
from tests import draw_data
from tests.e2e.access_cells import SIGNED_IN, Expect
from tests.e2e.access_owner_pages import NO_REDIRECT, SEE_OTHER, _draft, _published, owner_pages
from tests.e2e.access_world import ANONYMOUS, OWNER_P, SUPERVISOR, USERNAMES, World

PUBLISHED = "draw_pages.published"


def pages_for(*allowed: str, ok: int, **cells: Expect) -> dict[str, Expect]:
    """``allowed`` get ``ok``; other signed-in principals 403; a visitor is sent to sign in."""
    expected = {who: (ok if who in allowed else 403) for who in SIGNED_IN}
    expected[ANONYMOUS] = SEE_OTHER
    expected.update(cells)
    return expected


def _page(method: str, action: str, data: dict[str, str] | None = None) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        path = f"/draw/{world.extras[PUBLISHED]}/{action}"
        return method, path, ({"data": data, **NO_REDIRECT} if data is not None else NO_REDIRECT)

    return build


async def _reserve(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/my/procurements/{await _draft(world)}/reference", {"data": {}, **NO_REDIRECT}


async def _commit(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    # a fresh procurement (one supervisor commitment per round) and a commitment never seen
    path = f"/draw/{await _published(world)}/commit"
    return "POST", path, {"data": {"commitment": secrets.token_hex(32)}, **NO_REDIRECT}


async def _in_draw(world: World, *, window_open: bool) -> tuple[int, str, str]:
    """A fresh procurement with a supervisor's commitment, frozen a minute ago, its reveal
    window open for a day (or closed a minute ago): ``(id, owner's secret, supervisor's)``."""
    procurement_id = await _published(world)
    supervisor: Principal = world.extras["draw_pages.supervisor"]
    now = datetime.now(UTC)
    async with world.database.unit_of_work() as uow:
        row = await uow.session.get(Procurement, procurement_id)
        assert row is not None and row.reference is not None
        kept = secrets.token_hex(32)
        made = commitment(row.reference, 1, "supervisor", kept)
        await draw.commit(uow, Actor(supervisor.user_id, supervisor.username, "192.0.2.8"), supervisor,
                          procurement_id, made, now, terms=load_procurement_terms())  # fmt: skip
        await uow.session.execute(
            update(DrawRound)
            .where(DrawRound.procurement_id == procurement_id)
            .values(
                frozen_at=now - timedelta(minutes=2),
                reveal_deadline=now + (timedelta(days=1) if window_open else -timedelta(minutes=1)),
            )
        )
        row.status = ProcurementStatus.FROZEN
        await uow.commit()
        return procurement_id, draw_data.OWNER_SECRETS[row.reference], kept


async def _reveal(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id, owner_secret, supervisor_secret = await _in_draw(world, window_open=True)
    secret = supervisor_secret if who == SUPERVISOR else owner_secret
    return "POST", f"/draw/{procurement_id}/reveal", {"data": {"secret": secret}, **NO_REDIRECT}


async def _beacon(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id, _, _ = await _in_draw(world, window_open=False)
    data = {"value": "371", "reference": draw_data.LOTTERY.reference}
    return "POST", f"/draw/{procurement_id}/beacon", {"data": data, **NO_REDIRECT}


ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    "POST /my/procurements/{procurement_id:int}/reference": (
        _reserve,
        owner_pages(SEE_OTHER, other_owner=404),
    ),
    "GET /draw/{procurement_id:int}/reveal": (_page("GET", "reveal"), pages_for(OWNER_P, SUPERVISOR, ok=200)),
    "POST /draw/{procurement_id:int}/reveal": (_reveal, pages_for(OWNER_P, SUPERVISOR, ok=SEE_OTHER)),
    "GET /draw/{procurement_id:int}/commit": (_page("GET", "commit"), pages_for(SUPERVISOR, ok=200)),
    "POST /draw/{procurement_id:int}/commit": (_commit, pages_for(SUPERVISOR, ok=SEE_OTHER)),
    "GET /draw/{procurement_id:int}/beacon": (_page("GET", "beacon"), pages_for(SUPERVISOR, ok=200)),
    "POST /draw/{procurement_id:int}/beacon": (_beacon, pages_for(SUPERVISOR, ok=SEE_OTHER)),
}


async def setup(world: World) -> None:
    """One published procurement of the world's owner organisation, with its draw."""
    world.extras[PUBLISHED] = await _published(world)
    async with world.database.unit_of_work() as uow:
        user = await accounts.find_user(uow, USERNAMES[SUPERVISOR])
        assert user is not None
        world.extras["draw_pages.supervisor"] = Principal(
            user.id, user.username, user.display_name, frozenset({Role.SUPERVISOR}), None
        )
