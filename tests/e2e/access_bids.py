"""Access-matrix rows for the bid API (submission, replacement, withdrawal, receipts, the opening list).

``ROWS`` joins the matrix of :mod:`tests.e2e.test_access_matrix`; ``setup`` runs once when
the world is built and puts what the rows address into ``world.extras``: three published
procurements of the owner principal (one the intermediary principal has a live bid on, one
to submit and withdraw on, one already opened with the intermediary's bid on it).

The matrix app runs on the real clock, so the procurements are published "now" with
deadlines weeks ahead; the opened one is closed here and opened with an injected time
after its deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.audit import Actor
from market.bidding import service as bids
from market.bidding.opening import open_bids
from market.calendar_years import Calendars
from market.models import Procurement, User
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from market.sealed.bids import Quote
from tests import draw_data
from tests.e2e.access_cells import OFFICIALS, only, request
from tests.e2e.access_world import INTERMEDIARY_P, OWNER_P, USERNAMES, World
from tests.unit.procurement.conftest import service_draft
from web.state import AppState

TERMS = load_procurement_terms()
QUOTE = {"mode": "amount", "value": "150000.00"}


def _state(world: World) -> AppState:
    return AppState.of(world.client.app)


async def _principal(world: World, who: str, role: Role) -> Principal:
    async with world.database.sessions() as session:
        user = await session.scalar(select(User).where(User.username == USERNAMES[who]))
    assert user is not None
    return Principal(user.id, user.username, user.display_name, frozenset({role}), user.organisation_id)


async def _publish(world: World, owner: Principal, now: datetime, deadline: datetime) -> int:
    raw = terms_json(
        service_draft(bid_deadline=deadline, selection_time=deadline + timedelta(hours=5), avoidance=())
    )
    actor = Actor(owner.user_id, owner.username)
    async with world.database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner, raw, now)
        calendar = await Calendars().current(uow)
        await draw_data.publish(
            uow,
            actor,
            owner,
            row.id,
            now,
            calendar,
            TERMS,
            vocabulary=_state(world).vocabulary,
            eligible_count=5,
            bid_key=_state(world).bid_key(),
        )
        await uow.commit()
        return row.id


async def _bid(world: World, procurement_id: int, now: datetime | None = None) -> int:
    agency: Principal = world.extras["agency"]
    async with world.database.unit_of_work() as uow:
        receipt = await bids.submit(
            uow,
            Actor(agency.user_id, agency.username),
            agency,
            _state(world).bid_key(),
            procurement_id,
            Quote("amount", Decimal("150000.00")),
            now or datetime.now(UTC),
            vocabulary=_state(world).vocabulary,
            terms=TERMS,
        )
        await uow.commit()
        return receipt.bid_id


async def _live_bid(world: World, procurement_id: int) -> bids.Receipt | None:
    async with world.database.unit_of_work() as uow:
        mine = await bids.my_bid(uow, world.extras["agency"], _state(world).bid_key(), procurement_id)
    return mine if mine is not None and mine.withdrawn_at is None else None


async def _submit(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id = world.extras["bid_target"]
    live = await _live_bid(world, procurement_id)
    if live is not None:  # every cell starts with no live bid of the intermediary's firm
        async with world.database.unit_of_work() as uow:
            agency = world.extras["agency"]
            await bids.withdraw(
                uow,
                Actor(agency.user_id, "m"),
                agency,
                _state(world).bid_key(),
                live.bid_id,
                datetime.now(UTC),
            )
            await uow.commit()
    return "POST", "/api/bids", {"json": {"procurement_id": procurement_id, "quote": QUOTE}}


async def _withdraw(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    procurement_id = world.extras["bid_target"]
    live = await _live_bid(world, procurement_id)
    bid_id = live.bid_id if live is not None else await _bid(world, procurement_id)
    return "POST", f"/api/bids/{bid_id}/withdraw", {}


async def setup(world: World) -> None:
    now = datetime.now(UTC)
    owner = await _principal(world, OWNER_P, Role.OWNER)
    world.extras["agency"] = await _principal(world, INTERMEDIARY_P, Role.INTERMEDIARY)
    world.extras["bid_procurement"] = await _publish(world, owner, now, now + timedelta(days=40))
    world.extras["bid_target"] = await _publish(world, owner, now, now + timedelta(days=40))
    opened_deadline = now + timedelta(days=30)
    opened = await _publish(world, owner, now, opened_deadline)
    world.extras["bid"] = await _bid(world, world.extras["bid_procurement"])
    await _bid(world, opened)
    # open just this one (lifecycle.advance would also close other areas' procurements)
    state = _state(world)
    async with world.database.unit_of_work() as uow:
        row = await uow.session.get(Procurement, opened)
        assert row is not None
        row.status = ProcurementStatus.BIDDING_CLOSED
        await uow.session.flush()
        after = opened_deadline + timedelta(minutes=1)
        await open_bids(uow, state.bid_key(), opened, after, vocabulary=state.vocabulary, terms=TERMS)
        await uow.commit()
    world.extras["opened_procurement"] = opened


AGENCY = only(INTERMEDIARY_P)  # bids are the firm's own: every other role is refused by the guard

ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    "POST /api/bids": (_submit, only(INTERMEDIARY_P, ok=201)),
    "GET /api/bids": (request("GET", "/api/bids?procurement_id={w.extras[bid_procurement]}"), AGENCY),
    "GET /api/bids/{bid_id:int}": (request("GET", "/api/bids/{w.extras[bid]}"), AGENCY),
    "GET /api/bids/{bid_id:int}/receipt": (request("GET", "/api/bids/{w.extras[bid]}/receipt"), AGENCY),
    "PUT /api/bids/{bid_id:int}": (
        request("PUT", "/api/bids/{w.extras[bid]}", json={"quote": QUOTE}),
        AGENCY,
    ),
    "POST /api/bids/{bid_id:int}/withdraw": (_withdraw, AGENCY),
    "POST /api/bids/{bid_id:int}/confirm": (request("POST", "/api/bids/{w.extras[bid]}/confirm"), AGENCY),
    # after the opening: the owner's organisation, the bidders, the officials
    "GET /api/procurements/{procurement_id:int}/opening": (
        request("GET", "/api/procurements/{w.extras[opened_procurement]}/opening"),
        only(OWNER_P, INTERMEDIARY_P, *OFFICIALS),
    ),
}
