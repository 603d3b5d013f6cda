"""Access-matrix rows for the contract both parties confirm (draft, read, confirm, the next
alternate), the firm's awards, the supervisors' overdue list, and their pages.

The matrix app runs on the real clock, so a cell's award is made directly: a fresh small works
of the owner principal, published, put in ``awarded`` with a record drawing the contractor
principal's firm, its award and both contract limits (past due for the reassign rows). The
rows test who may act; tests/integration/test_contract.py tests when and in which order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from market.models import Organisation
from tests.award_flow import awarded_works
from tests.bidder_pages_data import principal_of
from tests.e2e.access_cells import OFFICIALS, Expect, only, request
from tests.e2e.access_world import (
    ANONYMOUS,
    APPLICANT,
    CONTRACTOR_P,
    INTERMEDIARY_P,
    OWNER_P,
    SUPERVISOR,
    USERNAMES,
    World,
)
from web.state import AppState

NO_REDIRECT = {"follow_redirects": False}
WORKS_TERMS: dict[str, Any] = {
    "term": {"start": "2027-01-10", "end": "2027-04-30"},
    "scope": "村道硬底化约1.2公里，含排水沟。",
    "site": "韶关市浈江区犁市镇",
    "project_manager": "邓国华",
    "payments": [{"description": "竣工验收合格后", "percent": "100"}],
}
FORM_TERMS = {
    "term_start": "2027-01-10",
    "term_end": "2027-04-30",
    "scope": "村道硬底化约1.2公里，含排水沟。",
    "site": "韶关市浈江区犁市镇",
    "project_manager": "邓国华",
    "payment_description_0": "竣工验收合格后",
    "payment_percent_0": "100",
}


async def _awarded(world: World, *, past_due: bool = False) -> tuple[int, int]:
    """(procurement id, award id): a fresh small works awarded to the contractor principal."""
    owner = await principal_of(world.database, USERNAMES[OWNER_P])
    state = AppState.of(world.client.app)
    return await awarded_works(
        world.database,
        owner,
        world.contractor_firm,
        datetime.now(UTC),
        vocabulary=state.vocabulary,
        bid_key=state.bid_key(),
        past_due=past_due,
    )


async def _drafted(world: World, *, owner_confirmed: bool) -> tuple[int, int, str]:
    procurement_id, award_id = await _awarded(world)
    body = await world.ok("POST", f"/api/procurements/{procurement_id}/contract", OWNER_P, json=WORKS_TERMS)
    if owner_confirmed:
        await world.ok(
            "POST",
            f"/api/procurements/{procurement_id}/contract/confirm",
            OWNER_P,
            json={"digest": body["digest"]},
        )
    return procurement_id, award_id, str(body["digest"])


async def _read(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/api/procurements/{world.extras['contract_procurement']}/contract", {}


def _draft(page: bool = False) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        procurement_id, _ = await _awarded(world)
        if page:
            return "POST", f"/my/procurements/{procurement_id}/contract", {"data": FORM_TERMS, **NO_REDIRECT}
        return "POST", f"/api/procurements/{procurement_id}/contract", {"json": WORKS_TERMS}

    return build


def _confirm(page: bool = False) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        # the firm confirms after the owner; everyone else finds a draft the owner has yet to confirm
        # over the API the firm confirms after the owner; on the owner's page nobody but the owner
        procurement_id, _, digest = await _drafted(world, owner_confirmed=who == CONTRACTOR_P and not page)
        if not page:
            kwargs = {"json": {"digest": digest}, "timeout": 120}  # the firm's confirmation issues the PDF
            return "POST", f"/api/procurements/{procurement_id}/contract/confirm", kwargs
        path = f"/my/procurements/{procurement_id}/contract/confirm"
        return "POST", path, {"data": {"digest": digest}, **NO_REDIRECT}

    return build


def _firm_confirm_page() -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        _, award_id, digest = await _drafted(world, owner_confirmed=True)
        return (
            "POST",
            f"/my/awards/{award_id}/confirm",
            {"data": {"digest": digest}, "timeout": 120, **NO_REDIRECT},
        )

    return build


def _reassign(page: bool = False) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        procurement_id, _ = await _awarded(world, past_due=True)
        if page:
            return (
                "POST",
                f"/my/procurements/{procurement_id}/reassign",
                {"data": {"reason": "逾期未确认"}, **NO_REDIRECT},
            )
        return "POST", f"/api/procurements/{procurement_id}/reassign", {"json": {"reason": "逾期未确认"}}

    return build


async def _owner_page(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "GET", f"/my/procurements/{world.extras['contract_procurement']}/contract", dict(NO_REDIRECT)


async def setup(world: World) -> None:
    # the contract names the owner's legal representative
    async with world.database.unit_of_work() as uow:
        await uow.session.execute(
            update(Organisation).where(Organisation.id == world.owner_org).values(representative="李建国")
        )
        await uow.commit()
    world.extras["contract_procurement"], _ = await _awarded(world)
    await world.ok(  # a draft to read
        "POST",
        f"/api/procurements/{world.extras['contract_procurement']}/contract",
        OWNER_P,
        json=WORKS_TERMS,
    )


PARTIES = only(OWNER_P, CONTRACTOR_P, *OFFICIALS)
OWNER_ONLY = only(OWNER_P)
FIRMS = only(INTERMEDIARY_P, CONTRACTOR_P, APPLICANT)  # an applicant's firm has no award: an empty list
OWNER_PAGE = {**OWNER_ONLY, ANONYMOUS: 303}
OWNER_PAGE_ACT = {**OWNER_ONLY, OWNER_P: 303, ANONYMOUS: 303}

ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /api/procurements/{procurement_id:int}/contract": (_read, PARTIES),
    "POST /api/procurements/{procurement_id:int}/contract": (_draft(), only(OWNER_P, ok=201)),
    "POST /api/procurements/{procurement_id:int}/contract/confirm": (_confirm(), only(OWNER_P, CONTRACTOR_P)),
    "POST /api/procurements/{procurement_id:int}/reassign": (_reassign(), OWNER_ONLY),
    "GET /api/my/awards": (request("GET", "/api/my/awards"), FIRMS),
    # a refusal is audited (market.award.award_views.overdue)
    "GET /api/supervision/overdue": (request("GET", "/api/supervision/overdue"), only(SUPERVISOR)),
    "GET /my/procurements/{procurement_id:int}/contract": (_owner_page, OWNER_PAGE),
    "POST /my/procurements/{procurement_id:int}/contract": (_draft(page=True), OWNER_PAGE_ACT),
    "POST /my/procurements/{procurement_id:int}/contract/confirm": (_confirm(page=True), OWNER_PAGE_ACT),
    "POST /my/procurements/{procurement_id:int}/reassign": (_reassign(page=True), OWNER_PAGE_ACT),
    "GET /my/awards": (request("GET", "/my/awards", follow_redirects=False), {**FIRMS, ANONYMOUS: 303}),
    # another firm's award is unknown to it (404)
    "POST /my/awards/{award_id:int}/confirm": (
        _firm_confirm_page(),
        {**only(CONTRACTOR_P, ok=303), INTERMEDIARY_P: 404, APPLICANT: 404, ANONYMOUS: 303},
    ),
    "GET /supervision/overdue": (
        request("GET", "/supervision/overdue", follow_redirects=False),
        {**only(SUPERVISOR), ANONYMOUS: 303},
    ),
}
