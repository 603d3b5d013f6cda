"""Access-matrix rows for delivery, acceptance and evaluation (issue 13): the API and the
pages of the awarded firm (the contractor principal's firm), the owner principal's
organisation, and the supervisors.

The matrix app runs on the real clock, so each cell that changes something gets a fresh
small works of the owner principal put under contract with the contractor principal's firm
(a stand-in for the contract confirmation, as :mod:`tests.delivery_data` does), taken as far
as the row needs — delivered, accepted, evaluated, objected to — by the services themselves.
The rows test who may act; the integration and end-to-end tests test when and what.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.audit import Actor
from market.award import delivery, evaluation
from market.calendar_years import Calendars
from market.clock import local
from market.models import Award, ContractSigning, Organisation, Procurement
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from tests import draw_data
from tests.bidder_pages_data import principal_of
from tests.e2e.access_cells import Expect, only, request
from tests.e2e.access_world import (
    ADMIN,
    ANONYMOUS,
    APPLICANT,
    CONTRACTOR_P,
    INTERMEDIARY_P,
    OTHER_OWNER,
    OWNER_P,
    SUPERVISOR,
    USERNAMES,
    World,
)
from tests.unit.procurement.conftest import works_draft
from web.state import AppState

TERMS = load_procurement_terms()
NO_REDIRECT = {"follow_redirects": False}
SCORES = {"quality": 4, "timeliness": 4, "attitude": 5, "compliance": 4}
STAGES = ("contracted", "delivered", "accepted", "evaluated", "objected")


def _as(principal: Principal, role: Role) -> Principal:
    return Principal(
        principal.user_id,
        principal.username,
        principal.display_name,
        frozenset({role}),
        principal.organisation_id,
    )


async def _prepared(world: World, stage: str) -> dict[str, int]:
    """A fresh small works of the owner principal under contract with the contractor
    principal's firm, taken to ``stage``; its ids by name."""
    buyer = _as(await principal_of(world.database, USERNAMES[OWNER_P]), Role.OWNER)
    builder = _as(await principal_of(world.database, USERNAMES[CONTRACTOR_P]), Role.CONTRACTOR)
    state = AppState.of(world.client.app)
    now = datetime.now(UTC)
    selection = local(now + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    raw = terms_json(works_draft(work_field="housing_municipal", selection_time=selection))
    acting_buyer, acting_builder = (
        Actor(buyer.user_id, buyer.username),
        Actor(builder.user_id, builder.username),
    )
    ids: dict[str, int] = {}
    async with world.database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, acting_buyer, buyer, raw, now)
        row = await draw_data.publish(
            uow, acting_buyer, buyer, row.id, now, await Calendars().current(uow), TERMS,
            vocabulary=state.vocabulary, eligible_count=5, bid_key=state.bid_key(),
        )  # fmt: skip
        uscc = await uow.session.scalar(
            select(Organisation.uscc).where(Organisation.id == world.contractor_firm)
        )
        assert uscc is not None
        award = Award(
            procurement_id=row.id, round=1, rank=1, firm_id=world.contractor_firm, uscc=uscc,
            amount=Decimal("80000.00"), selected_at=now, publicity_ends_at=now, awarded_at=now,
            contract_due_at=now + timedelta(days=30),
        )  # fmt: skip
        uow.session.add(award)
        await uow.session.flush()
        uow.session.add(
            ContractSigning(
                procurement_id=row.id, award_id=award.id, sequence=1, kind="works_contract",
                data={"term": {"start": "2026-12-01", "end": "2099-12-31"}}, digest="0" * 64,
                drafted_at=now, owner_confirmed_at=now, firm_confirmed_at=now,
            )
        )  # fmt: skip
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status, stored.next_check = ProcurementStatus.CONTRACTED, None
        ids.update(procurement=row.id, award=award.id)
        if STAGES.index(stage) >= 1:
            made = await delivery.deliver(
                uow, acting_builder, builder, row.id, note="已竣工", files=[], now=now, terms=TERMS
            )
            ids["delivery"] = made.id
        if STAGES.index(stage) >= 2:
            await delivery.accept(uow, acting_buyer, buyer, ids["delivery"], now=now, terms=TERMS)
        if STAGES.index(stage) >= 3:
            evaluated = await evaluation.evaluate(
                uow, acting_buyer, buyer, row.id, scores=SCORES, comment="", now=now, terms=TERMS,
                policy_=state.vocabulary.credit,
            )  # fmt: skip
            ids["evaluation"] = evaluated.id
        if STAGES.index(stage) >= 4:
            await evaluation.object_to(
                uow, acting_builder, builder, ids["evaluation"], grounds="评分有误", now=now, terms=TERMS
            )
        await uow.commit()
    return ids


def _fresh(method: str, path: str, stage: str, **kwargs: Any) -> Any:
    """A request on a procurement prepared for this cell alone (``path`` names its ids)."""

    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        ids = await _prepared(world, stage)
        return method, path.format(**ids), {**NO_REDIRECT, **kwargs}

    return build


def _shared(method: str, path: str, stage: str) -> Any:
    """A read of the procurement :func:`setup` prepared at ``stage``."""

    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        return method, path.format(**world.extras[f"delivery_{stage}"]), dict(NO_REDIRECT)

    return build


async def setup(world: World) -> None:
    for stage in ("contracted", "delivered", "evaluated"):
        world.extras[f"delivery_{stage}"] = await _prepared(world, stage)


# a firm that is not the awarded one (the intermediary, the applicant: a contractor's user)
# does not learn of another firm's award or evaluation
FIRM_ACT = {**only(CONTRACTOR_P), INTERMEDIARY_P: 404, APPLICANT: 404}
PARTIES_READ = {
    **only(OWNER_P, CONTRACTOR_P, SUPERVISOR, ADMIN),
    OTHER_OWNER: 404, INTERMEDIARY_P: 404, APPLICANT: 404,
}  # fmt: skip
FIRMS = only(CONTRACTOR_P, INTERMEDIARY_P, APPLICANT)
FILE = {"files": [("files", ("竣工资料.pdf", b"%PDF-1.7\n", "application/pdf"))], "data": {"note": "已竣工"}}


def _page(expected: dict[str, Expect], ok: int = 303) -> dict[str, Expect]:
    """A page's cells: a visitor is sent to sign in, a success is a redirect (POST)."""
    return {**expected, ANONYMOUS: 303, **{k: ok for k, v in expected.items() if v == 200}}


ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "POST /api/procurements/{procurement_id:int}/deliveries": (
        _fresh("POST", "/api/procurements/{procurement}/deliveries", "contracted", **FILE),
        {**only(CONTRACTOR_P, ok=201), INTERMEDIARY_P: 403, APPLICANT: 403},
    ),
    "GET /api/procurements/{procurement_id:int}/deliveries": (
        _shared("GET", "/api/procurements/{procurement}/deliveries", "delivered"),
        PARTIES_READ,
    ),
    "POST /api/deliveries/{delivery_id:int}/accept": (
        _fresh("POST", "/api/deliveries/{delivery}/accept", "delivered"),
        only(OWNER_P),
    ),
    "POST /api/deliveries/{delivery_id:int}/return": (
        _fresh("POST", "/api/deliveries/{delivery}/return", "delivered", json={"reason": "资料不全"}),
        only(OWNER_P),
    ),
    "POST /api/procurements/{procurement_id:int}/evaluation": (
        _fresh("POST", "/api/procurements/{procurement}/evaluation", "accepted", json={"scores": SCORES}),
        only(OWNER_P, ok=201),
    ),
    "GET /api/procurements/{procurement_id:int}/evaluation": (
        _shared("GET", "/api/procurements/{procurement}/evaluation", "evaluated"),
        PARTIES_READ,
    ),
    "GET /api/my/evaluations": (request("GET", "/api/my/evaluations"), FIRMS),
    "POST /api/evaluations/{evaluation_id:int}/objection": (
        _fresh("POST", "/api/evaluations/{evaluation}/objection", "evaluated", json={"grounds": "评分有误"}),
        FIRM_ACT,
    ),
    "POST /api/evaluations/{evaluation_id:int}/decision": (
        _fresh("POST", "/api/evaluations/{evaluation}/decision", "objected", json={"decision": "upheld"}),
        only(SUPERVISOR),
    ),
    "GET /api/supervision/evaluations": (request("GET", "/api/supervision/evaluations"), only(SUPERVISOR)),
    "GET /my/awards/{award_id:int}/delivery": (
        _shared("GET", "/my/awards/{award}/delivery", "contracted"),
        _page(FIRM_ACT, ok=200),
    ),
    "POST /my/awards/{award_id:int}/delivery": (
        _fresh("POST", "/my/awards/{award}/delivery", "contracted", data={"note": "已竣工"}),
        _page(FIRM_ACT),
    ),
    "GET /my/procurements/{procurement_id:int}/acceptance": (
        _shared("GET", "/my/procurements/{procurement}/acceptance", "delivered"),
        _page(only(OWNER_P), ok=200),
    ),
    "POST /my/procurements/{procurement_id:int}/acceptance/{delivery_id:int}/accept": (
        _fresh("POST", "/my/procurements/{procurement}/acceptance/{delivery}/accept", "delivered", data={}),
        _page(only(OWNER_P)),
    ),
    "POST /my/procurements/{procurement_id:int}/acceptance/{delivery_id:int}/return": (
        _fresh(
            "POST",
            "/my/procurements/{procurement}/acceptance/{delivery}/return",
            "delivered",
            data={"reason": "资料不全"},
        ),
        _page(only(OWNER_P)),
    ),
    "POST /my/procurements/{procurement_id:int}/acceptance/evaluation": (
        _fresh(
            "POST",
            "/my/procurements/{procurement}/acceptance/evaluation",
            "accepted",
            data={f"score-{k}": str(v) for k, v in SCORES.items()},
        ),
        _page(only(OWNER_P)),
    ),
    "GET /my/evaluations": (request("GET", "/my/evaluations", follow_redirects=False), _page(FIRMS, ok=200)),
    "POST /my/evaluations/{evaluation_id:int}/objection": (
        _fresh("POST", "/my/evaluations/{evaluation}/objection", "evaluated", data={"grounds": "评分有误"}),
        _page(FIRM_ACT),
    ),
    "GET /supervision/evaluations": (
        request("GET", "/supervision/evaluations", follow_redirects=False),
        _page(only(SUPERVISOR), ok=200),
    ),
    "POST /supervision/evaluations/{evaluation_id:int}/decision": (
        _fresh(
            "POST", "/supervision/evaluations/{evaluation}/decision", "objected", data={"decision": "upheld"}
        ),
        _page(only(SUPERVISOR)),
    ),
}
