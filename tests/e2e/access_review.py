"""Access-matrix rows for the review step's API (reviewers, a reviewer's sheet, saving and
submitting scores, the public scores) and its pages (the sheet, the owner's reviewers), where
a visitor is sent to sign in (303) and a taken form answers 303 to the page again.

The matrix app runs on the real clock, so a procurement in its review (opened, the review
deadline ahead) is made by setting its status directly: the rows test who may act, the
end-to-end test (test_scored_review.py) tests when.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from market.audit import Actor
from market.calendar_years import Calendars
from market.models import Procurement, ProcurementReviewer
from market.procurement import service as procurements
from market.procurement.draft import ReviewCriterion
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from tests import draw_data
from tests.e2e.access_cells import everyone, only
from tests.e2e.access_draw import TERMS, _owner
from tests.e2e.access_draw_pages import pages_for
from tests.e2e.access_owner_pages import NO_REDIRECT, SEE_OTHER
from tests.e2e.access_world import OTHER_OWNER, OWNER_P, SUPERVISOR, World
from tests.unit.procurement.conftest import service_draft
from web.state import AppState

URL = "/api/procurements"
WEIGHTS = {"weights": {"price": "40", "credit": "0", "evaluation": "0", "technical": "60"}}
CRITERIA = (
    ReviewCriterion("plan", "服务方案", Decimal(60)),
    ReviewCriterion("team", "项目团队", Decimal(40)),
)


async def _scored(world: World, *, reviewing: bool) -> int:
    """A fresh scored procurement of the owner principal, bidding open 40 days; ``reviewing``:
    moved on to its review (opened, the review deadline a day ahead) with the owner principal
    named as its reviewer."""
    owner = await _owner(world)
    state = AppState.of(world.client.app)
    now = datetime.now(UTC)
    deadline = now + timedelta(days=40)
    draft = service_draft(
        method="scored",
        method_params=WEIGHTS,
        avoidance=(),
        bid_deadline=deadline,
        review_criteria=CRITERIA,
        review_deadline=deadline + timedelta(days=1),
        selection_time=deadline + timedelta(days=1, hours=3),
    )
    actor = Actor(owner.user_id, owner.username)
    async with world.database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, actor, owner, terms_json(draft), now)
        calendar = await Calendars().current(uow)
        published = await draw_data.publish(
            uow, actor, owner, row.id, now, calendar, TERMS,
            vocabulary=state.vocabulary, eligible_count=5, bid_key=state.bid_key(),
        )  # fmt: skip
        if reviewing:
            stored = await uow.session.get(Procurement, published.id)
            assert stored is not None
            stored.status = ProcurementStatus.OPENED
            stored.bid_deadline = now - timedelta(hours=1)
            stored.review_deadline = now + timedelta(days=1)
            uow.session.add(
                ProcurementReviewer(procurement_id=published.id, user_id=owner.user_id, added_at=now)
            )
        await uow.commit()
        return published.id


async def setup(world: World) -> None:
    world.extras["review_open"] = await _scored(world, reviewing=False)
    world.extras["review_running"] = await _scored(world, reviewing=True)


async def _name(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    owner = await _owner(world)
    return "PUT", f"{URL}/{world.extras['review_open']}/reviewers", {"json": {"user_ids": [owner.user_id]}}


async def _reviewers(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"{URL}/{world.extras['review_running']}/reviewers", {}


async def _sheet(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"{URL}/{world.extras['review_running']}/review", {}


async def _save(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "PUT", f"{URL}/{world.extras['review_running']}/review/scores", {"json": {"scores": {}}}


async def _submit(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    # a fresh one per cell: a submitted sheet is final
    return "POST", f"{URL}/{await _scored(world, reviewing=True)}/review/submit", {}


async def _public(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"{URL}/{world.extras['review_running']}/review/scores", {}


async def _sheet_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/review/{world.extras['review_running']}", NO_REDIRECT


async def _save_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/review/{world.extras['review_running']}", {"data": {"action": "save"}, **NO_REDIRECT}


async def _reviewers_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/review/{world.extras['review_open']}/reviewers", NO_REDIRECT


async def _name_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    owner = await _owner(world)
    data = {"user_id": str(owner.user_id)}
    return "POST", f"/review/{world.extras['review_open']}/reviewers", {"data": data, **NO_REDIRECT}


ROWS: dict[str, tuple[Any, dict[str, int]]] = {
    # the guard lets owners through; the service only the procurement's own organisation
    "PUT /api/procurements/{procurement_id:int}/reviewers": (_name, only(OWNER_P, **{OTHER_OWNER: 403})),
    "GET /api/procurements/{procurement_id:int}/reviewers": (
        _reviewers,
        only(OWNER_P, SUPERVISOR, **{OTHER_OWNER: 403}),
    ),
    # only a named reviewer (the owner principal here) reads, saves and submits its sheet
    "GET /api/procurements/{procurement_id:int}/review": (_sheet, only(OWNER_P, **{OTHER_OWNER: 403})),
    "PUT /api/procurements/{procurement_id:int}/review/scores": (_save, only(OWNER_P, **{OTHER_OWNER: 403})),
    "POST /api/procurements/{procurement_id:int}/review/submit": (
        _submit,
        only(OWNER_P, **{OTHER_OWNER: 403}),
    ),
    "GET /api/procurements/{procurement_id:int}/review/scores": (_public, everyone(200)),
    # the pages: the same people, a visitor sent to sign in
    "GET /review/{procurement_id:int}": (_sheet_page, pages_for(OWNER_P, ok=200, **{OTHER_OWNER: 403})),
    "POST /review/{procurement_id:int}": (_save_page, pages_for(OWNER_P, ok=SEE_OTHER, **{OTHER_OWNER: 403})),
    "GET /review/{procurement_id:int}/reviewers": (
        _reviewers_page,
        pages_for(OWNER_P, ok=200, **{OTHER_OWNER: 403}),
    ),
    "POST /review/{procurement_id:int}/reviewers": (
        _name_page,
        pages_for(OWNER_P, ok=SEE_OTHER, **{OTHER_OWNER: 403}),
    ),
}
