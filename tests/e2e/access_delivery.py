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

from datetime import UTC, datetime
from typing import Any

from market.principal import Principal, Role
from tests.bidder_pages_data import principal_of
from tests.delivery_data import SCORES, works_at_stage
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
from web.state import AppState

NO_REDIRECT = {"follow_redirects": False}


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
    return await works_at_stage(
        world.database, buyer, builder, stage, now=datetime.now(UTC), vocabulary=state.vocabulary,
        bid_key=state.bid_key(),
    )  # fmt: skip


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
