"""Access-matrix rows for the draw ceremony's API (reserve the reference, the ceremony, a
supervisor's commitment, reveals, the beacon, the record).

The matrix app runs on the real clock, so the window a cell needs (reveals after the freeze,
the beacon after the reveal deadline) is set on a fresh procurement's draw row directly:
the rows test who may act, the integration tests test when.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from market.audit import Actor
from market.calendar_years import Calendars
from market.models import DrawRound, Procurement, SelectionRecordRow, User
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from selection.ceremony import commitment
from tests import draw_data
from tests.e2e.access_cells import everyone, only
from tests.e2e.access_world import OTHER_OWNER, OWNER_P, SUPERVISOR, USERNAMES, World
from tests.unit.procurement.conftest import service_draft
from web.state import AppState

TERMS = load_procurement_terms()
URL = "/api/procurements"


async def _owner(world: World) -> Principal:
    async with world.database.sessions() as session:
        user = await session.scalar(select(User).where(User.username == USERNAMES[OWNER_P]))
    assert user is not None
    return Principal(user.id, user.username, user.display_name, frozenset({Role.OWNER}), user.organisation_id)


async def _published(world: World) -> Procurement:
    """A fresh intermediary-service procurement of the owner principal, bidding open 40 days."""
    owner = await _owner(world)
    state = AppState.of(world.client.app)
    now = datetime.now(UTC)
    deadline = now + timedelta(days=40)
    raw = terms_json(
        service_draft(bid_deadline=deadline, selection_time=deadline + timedelta(hours=5), avoidance=())
    )
    actor = Actor(owner.user_id, owner.username)
    async with world.database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner, raw, now)
        calendar = await Calendars().current(uow)
        published = await draw_data.publish(
            uow, actor, owner, row.id, now, calendar, TERMS,
            vocabulary=state.vocabulary, eligible_count=5, bid_key=state.bid_key(),
        )  # fmt: skip
        await uow.commit()
        return published


async def _set_draw(world: World, procurement_id: int, **values: Any) -> None:
    async with world.database.unit_of_work() as uow:
        draw = await uow.session.get(DrawRound, (procurement_id, 1))
        assert draw is not None
        for name, value in values.items():
            setattr(draw, name, value)
        await uow.commit()


async def _frozen(world: World, procurement_id: int) -> None:
    async with world.database.unit_of_work() as uow:
        stored = await uow.session.get(Procurement, procurement_id)
        assert stored is not None
        stored.status = ProcurementStatus.FROZEN
        await uow.commit()


def _supervisor_secret(reference: str) -> str:
    return hashlib.sha256(f"supervisor {reference}".encode()).hexdigest()


async def _reserve(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    draft = await world.ok("POST", URL, OWNER_P, json=terms_json(service_draft(avoidance=())))
    return "POST", f"{URL}/{draft['id']}/reference", {}


async def _commit(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    row = await _published(world)
    made = commitment(str(row.reference), 1, "supervisor", _supervisor_secret(str(row.reference)))
    return "POST", f"{URL}/{row.id}/ceremony/commitments", {"json": {"commitment": made}}


async def _reveal(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    """A procurement in its reveal window; the supervisor reveals its own, everyone else the owner's."""
    row = await _published(world)
    reference = str(row.reference)
    now = datetime.now(UTC)
    if who == SUPERVISOR:
        supervisor = commitment(reference, 1, "supervisor", _supervisor_secret(reference))
        await world.ok(
            "POST", f"{URL}/{row.id}/ceremony/commitments", SUPERVISOR, json={"commitment": supervisor}
        )
    await _set_draw(
        world, row.id, frozen_at=now - timedelta(minutes=5), reveal_deadline=now + timedelta(days=1)
    )
    await _frozen(world, row.id)
    if who == SUPERVISOR:
        body = {"party": "supervisor", "secret": _supervisor_secret(reference)}
    else:
        body = {"party": "owner", "secret": draw_data.OWNER_SECRETS[reference]}
    return "POST", f"{URL}/{row.id}/ceremony/reveals", {"json": body}


async def _beacon(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    """A frozen procurement whose reveal window has closed."""
    row = await _published(world)
    now = datetime.now(UTC)
    await _set_draw(
        world, row.id, frozen_at=now - timedelta(hours=2), reveal_deadline=now - timedelta(minutes=1)
    )
    await _frozen(world, row.id)
    body = {"value": "371", "reference": draw_data.LOTTERY.reference}
    return "POST", f"{URL}/{row.id}/ceremony/beacon", {"json": body}


async def setup(world: World) -> None:
    """A published procurement (its ceremony) and one with a stored record."""
    world.extras["draw_published"] = (await _published(world)).id
    selected = await _published(world)
    record = '{"format":"market.selection-record/2"}'
    async with world.database.unit_of_work() as uow:
        uow.session.add(
            SelectionRecordRow(
                procurement_id=selected.id,
                round=1,
                record=record,
                digest=hashlib.sha256(record.encode()).hexdigest(),
                outcome="selected",
                created_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    world.extras["draw_recorded"] = selected.id


async def _ceremony(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"{URL}/{world.extras['draw_published']}/ceremony", {}


async def _record(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"{URL}/{world.extras['draw_recorded']}/record", {}


ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    # the owner's organisation reserves; a draft is not there for another owner
    "POST /api/procurements/{procurement_id:int}/reference": (_reserve, only(OWNER_P, other_owner=404)),
    "GET /api/procurements/{procurement_id:int}/ceremony": (_ceremony, everyone(200)),
    "POST /api/procurements/{procurement_id:int}/ceremony/commitments": (_commit, only(SUPERVISOR, ok=201)),
    # the guard lets owners and supervisors through; the service lets only the procurement's owner
    "POST /api/procurements/{procurement_id:int}/ceremony/reveals": (
        _reveal,
        only(OWNER_P, SUPERVISOR, ok=201, **{OTHER_OWNER: 403}),
    ),
    "POST /api/procurements/{procurement_id:int}/ceremony/beacon": (_beacon, only(SUPERVISOR, ok=201)),
    "GET /api/procurements/{procurement_id:int}/record": (_record, everyone(200)),
}
