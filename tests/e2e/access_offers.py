"""Access-matrix rows for small works' offers: the contractor's list, its confirmation and
decline over the API and on its page (我的抽取通知), and the public offer chain.

The matrix app runs on the real clock, so a cell's offer is made directly: a fresh small works
of the owner principal, published, put in ``confirming`` with a record drawing the contractor
principal's firm and its open offer. The rows test who may act; the integration and end-to-end
tests test when and in which order.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import local
from market.models import ContractorOffer, Organisation, Procurement, SelectionRecordRow
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from tests import draw_data
from tests.bidder_pages_data import principal_of
from tests.e2e.access_cells import Expect, everyone, only, request
from tests.e2e.access_world import ANONYMOUS, APPLICANT, CONTRACTOR_P, OWNER_P, USERNAMES, World
from tests.unit.procurement.conftest import works_draft
from web.state import AppState

TERMS = load_procurement_terms()
NO_REDIRECT = {"follow_redirects": False}


async def _offered(world: World) -> tuple[int, int]:
    """(procurement id, offer id): a fresh small works offered to the contractor principal."""
    owner = await principal_of(world.database, USERNAMES[OWNER_P])
    state = AppState.of(world.client.app)
    now = datetime.now(UTC)
    selection = local(now + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    raw = terms_json(works_draft(work_field="housing_municipal", selection_time=selection))
    actor = Actor(owner.user_id, owner.username)
    async with world.database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner, raw, now)
        calendar = await Calendars().current(uow)
        row = await draw_data.publish(
            uow, actor, owner, row.id, now, calendar, TERMS,
            vocabulary=state.vocabulary, eligible_count=5, bid_key=state.bid_key(),
        )  # fmt: skip
        uscc = await uow.session.scalar(
            select(Organisation.uscc).where(Organisation.id == world.contractor_firm)
        )
        assert uscc is not None
        record = json.dumps({"winners": [uscc], "alternates": [], "outcome": "selected"})
        uow.session.add(
            SelectionRecordRow(
                procurement_id=row.id,
                round=1,
                record=record,
                digest=hashlib.sha256(record.encode()).hexdigest(),
                outcome="selected",
                created_at=now,
            )
        )
        offer = ContractorOffer(
            procurement_id=row.id,
            round=1,
            rank=1,
            firm_id=world.contractor_firm,
            uscc=uscc,
            offered_at=now,
            due_at=now + timedelta(days=1),
        )
        uow.session.add(offer)
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status, stored.offer_due_at = ProcurementStatus.CONFIRMING, offer.due_at
        await uow.commit()
        return row.id, offer.id


def _answer(path: str, body: dict[str, Any] | None = None, *, page: bool = False) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        _, offer_id = await _offered(world)
        kwargs: dict[str, Any] = dict(NO_REDIRECT)
        if body is not None:
            kwargs["data" if page else "json"] = body
        return "POST", path.format(offer=offer_id), kwargs

    return build


async def _chain(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/api/procurements/{world.extras['offers_procurement']}/offers", {}


async def setup(world: World) -> None:
    world.extras["offers_procurement"], _ = await _offered(world)


# the applicant principal is a contractor's user too (its firm not admitted yet): it sees its
# own (empty) list, and another firm's offer as unknown
LIST = only(CONTRACTOR_P, APPLICANT)
ANSWER = {**only(CONTRACTOR_P), APPLICANT: 404}
PAGE = {**LIST, ANONYMOUS: 303}  # a visitor is sent to sign in
PAGE_ANSWER = {**ANSWER, CONTRACTOR_P: 303, ANONYMOUS: 303}

ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /api/offers": (request("GET", "/api/offers"), LIST),
    "POST /api/offers/{offer_id:int}/confirm": (_answer("/api/offers/{offer}/confirm"), ANSWER),
    "POST /api/offers/{offer_id:int}/decline": (
        _answer("/api/offers/{offer}/decline", {"reason": "人员不足"}),
        ANSWER,
    ),
    "GET /api/procurements/{procurement_id:int}/offers": (_chain, everyone(200)),
    "GET /offers": (request("GET", "/offers", follow_redirects=False), PAGE),
    "POST /offers/{offer_id:int}/confirm": (
        _answer("/offers/{offer}/confirm", {}, page=True),
        PAGE_ANSWER,
    ),
    "POST /offers/{offer_id:int}/decline": (
        _answer("/offers/{offer}/decline", {"reason": "人员不足"}, page=True),
        PAGE_ANSWER,
    ),
}
