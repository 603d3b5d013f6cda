"""Access-matrix rows for the intermediary's pages (procurements it may bid on, the bid form, the receipt).

``ROWS`` joins the matrix of :mod:`tests.e2e.test_access_matrix`; ``setup`` runs once when
the world is built and puts what the rows address into ``world.extras``: a procurement
published with the app's own key file, for which the intermediary principal's firm (an
admitted cost-consulting agency) is eligible, and that firm's live bid, made through the
pages themselves. Only the intermediary reaches any of these pages; every other signed-in
principal is refused by the role guard (403) before any bid is looked up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.bidder_pages_data import principal_of, publish
from tests.e2e.access_cells import Expect, only, request
from tests.e2e.access_world import INTERMEDIARY_P, OWNER_P, USERNAMES, World
from web.state import AppState

QUOTE = {"mode": "amount", "quote": "150000.00"}


async def _live_bid(world: World) -> int:
    """The intermediary's live bid on the world's procurement: a new one through the page if
    the last was withdrawn (a withdraw cell may have run first), else the one it has."""
    procurement = world.extras["bidder_pages_procurement"]
    response = await world.call(
        "POST",
        "/bidding/submit",
        INTERMEDIARY_P,
        data={"procurement": str(procurement), **QUOTE},
        follow_redirects=False,
    )
    if response.status_code == 303:
        world.extras["bidder_pages_bid"] = int(response.headers["location"].rsplit("/", 1)[1])
    else:  # 409: the form is stale because the firm already has a live bid
        assert response.status_code == 409, response.text[:500]
    return int(world.extras["bidder_pages_bid"])


def _with_live_bid(method: str, path: str, fields: dict[str, str] | None = None) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        bid = await _live_bid(world)
        procurement = world.extras["bidder_pages_procurement"]
        form = {k: v.format(bid=bid, procurement=procurement) for k, v in (fields or {}).items()}
        kwargs: dict[str, Any] = {"data": form, "follow_redirects": False} if fields is not None else {}
        return method, path.format(bid=bid, procurement=procurement), kwargs

    return build


INTERMEDIARY_ONLY = only(INTERMEDIARY_P)

ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /bidding": (request("GET", "/bidding"), INTERMEDIARY_ONLY),
    "GET /bidding/form": (
        _with_live_bid("GET", "/bidding/form?procurement={procurement}"),
        INTERMEDIARY_ONLY,
    ),
    # the confirmation step of a replacement (writes nothing)
    "POST /bidding/review": (
        _with_live_bid(
            "POST",
            "/bidding/review",
            {"procurement": "{procurement}", "bid": "{bid}", "mode": "amount", "quote": "148000.00"},
        ),
        INTERMEDIARY_ONLY,
    ),
    # a replacement of the firm's live bid: a new version, then the receipt
    "POST /bidding/submit": (
        _with_live_bid(
            "POST",
            "/bidding/submit",
            {"procurement": "{procurement}", "bid": "{bid}", "mode": "amount", "quote": "149000.00"},
        ),
        only(INTERMEDIARY_P, ok=303),
    ),
    "GET /bidding/receipts/{bid_id:int}": (
        _with_live_bid("GET", "/bidding/receipts/{bid}"),
        INTERMEDIARY_ONLY,
    ),
    "GET /bidding/receipts/{bid_id:int}/download": (
        _with_live_bid("GET", "/bidding/receipts/{bid}/download"),
        INTERMEDIARY_ONLY,
    ),
    "GET /bidding/withdraw": (_with_live_bid("GET", "/bidding/withdraw?bid={bid}"), INTERMEDIARY_ONLY),
    "POST /bidding/withdraw": (
        _with_live_bid("POST", "/bidding/withdraw", {"bid": "{bid}", "confirmed": "1"}),
        only(INTERMEDIARY_P, ok=303),
    ),
    "POST /bidding/reconfirm": (
        _with_live_bid("POST", "/bidding/reconfirm", {"bid": "{bid}"}),
        only(INTERMEDIARY_P, ok=303),
    ),
}


async def setup(world: World) -> None:
    """A procurement open for three weeks from now (the world's app runs on the system
    clock), published with the app's key file, and the intermediary's first bid on it."""
    owner = await principal_of(world.database, USERNAMES[OWNER_P])
    key = AppState.of(world.client.app).bid_key()
    row = await publish(world.database, owner, key, datetime.now(UTC), title="访问矩阵造价咨询项目")
    world.extras["bidder_pages_procurement"] = row.id
    await _live_bid(world)
