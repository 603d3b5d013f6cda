"""Access-matrix rows for supervision data (选取记录复核, 围串标筛查): supervisors only — an
administrator or anyone else signed in gets 403 (audited), a visitor 401 on the API and the
sign-in page on a page."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from market.models import Procurement, SelectionRecordRow
from tests.e2e.access_cells import Expect, only
from tests.e2e.access_world import ANONYMOUS, SUPERVISOR, World


async def setup(world: World) -> None:
    """A stored record on some published procurement of the world (its content does not
    verify: the rows test who may ask, not what the verifier says)."""
    async with world.database.unit_of_work() as uow:
        procurement_id = await uow.session.scalar(
            select(Procurement.id).where(Procurement.reference.is_not(None)).order_by(Procurement.id).limit(1)
        )
        assert procurement_id is not None
        text = json.dumps({"format": "market.selection-record/1", "method": "random", "winners": []})
        row = SelectionRecordRow(
            procurement_id=procurement_id,
            round=99,
            record=text,
            digest=hashlib.sha256(text.encode()).hexdigest(),
            outcome="selected",
            created_at=datetime.now(UTC),
        )
        uow.session.add(row)
        await uow.session.flush()
        world.extras["record"] = row.id
        await uow.commit()


def _to(method: str, path: str, **kwargs: Any) -> Any:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        return method, path.format(record=world.extras["record"]), kwargs

    return build


API = only(SUPERVISOR)
PAGE = {**only(SUPERVISOR), ANONYMOUS: 303}

ROWS: dict[str, tuple[Any, dict[str, Expect]]] = {
    "GET /api/supervision/records": (_to("GET", "/api/supervision/records"), API),
    "GET /api/supervision/records/{record_id:int}/json": (
        _to("GET", "/api/supervision/records/{record}/json"),
        API,
    ),
    "POST /api/supervision/records/{record_id:int}/replay": (
        _to("POST", "/api/supervision/records/{record}/replay"),
        API,
    ),
    "GET /api/supervision/screens": (_to("GET", "/api/supervision/screens"), API),
    "POST /api/supervision/screens/reviews": (
        _to(
            "POST",
            "/api/supervision/screens/reviews",
            json={"flag": "pair:1-2", "decision": "dismissed", "note": "x"},
        ),
        {**API, SUPERVISOR: 422},  # the supervisor reaches the service: no such flag in the period
    ),
    "GET /supervision/screens": (_to("GET", "/supervision/screens", follow_redirects=False), PAGE),
    "POST /supervision/screens/reviews": (
        _to(
            "POST",
            "/supervision/screens/reviews",
            data={"flag": "pair:1-2", "decision": "dismissed", "note": "x"},
            follow_redirects=False,
        ),
        {**PAGE, SUPERVISOR: 422},
    ),
    "GET /api/supervision/history/{object_type:str}/{object_id:str}": (
        _to("GET", "/api/supervision/history/procurement/999999999"),
        {**API, SUPERVISOR: 404},  # no entry has that id as a procurement: the supervisor is told so
    ),
    "GET /supervision/history/{object_type:str}/{object_id:str}": (
        _to("GET", "/supervision/history/procurement/999999999", follow_redirects=False),
        {**PAGE, SUPERVISOR: 404},
    ),
    "GET /api/supervision/statistics": (_to("GET", "/api/supervision/statistics"), API),
    "GET /api/supervision/statistics/csv": (_to("GET", "/api/supervision/statistics/csv"), API),
    "GET /supervision/dashboard": (_to("GET", "/supervision/dashboard", follow_redirects=False), PAGE),
    "GET /api/supervision/alerts": (_to("GET", "/api/supervision/alerts"), API),
    "GET /supervision/alerts": (_to("GET", "/supervision/alerts", follow_redirects=False), PAGE),
    "GET /supervision/records": (_to("GET", "/supervision/records", follow_redirects=False), PAGE),
    "GET /supervision/records/{record_id:int}": (
        _to("GET", "/supervision/records/{record}", follow_redirects=False),
        PAGE,
    ),
}
