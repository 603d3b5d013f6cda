"""The collusion screens as a supervisor reads them (issue 14): procurements by reference and
firms by name, every number with its Chinese label and the threshold it was held against, and
a review that returns to the period it was made in."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from market.models import Organisation, Role, ScreenReview
from market.supervision import screening
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in
from tests.integration.test_screening import _market

PERIOD = {"since": "2026-03-01", "until": "2026-05-31"}


async def test_the_screens_page_names_procurements_firms_and_numbers(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user: Any,
    fresh_database: ClonedDatabase,
) -> None:
    _, _, cartel = await _market(fresh_database.database)
    async with fresh_database.database.sessions() as session:
        names = set(await session.scalars(select(Organisation.name).where(Organisation.id.in_(cartel))))
    await make_user("sup.screens", Role.SUPERVISOR)
    headers = await sign_in(client, "sup.screens")

    api = await client.get("/api/supervision/screens", params=PERIOD, headers=headers)
    assert api.status_code == 200, api.text
    rotation = next(f for f in api.json()["flags"] if f["kind"] == "rotation")
    assert set(rotation["firm_names"]) == names and len(rotation["references"]) == 12
    assert all(r.startswith("SGZJ-2026-") for r in rotation["references"])
    assert rotation["readout"][1][0] == "最大中标占比" and "提示线" in rotation["readout"][1][1]

    client.cookies.set("market_session", headers["Authorization"].removeprefix("Bearer "))
    page = await client.get("/supervision/screens", params=PERIOD)
    assert page.status_code == 200, page.text
    for text in ("轮流中标", "变异系数 CV", "相对距离 RD", "提示线", "SGZJ-2026-0001", *names):
        assert text in page.text, text
    assert "cv=" not in page.text and "{'" not in page.text  # no raw numbers or Python reprs
    assert 'value="2026-03-01"' in page.text and 'value="2026-05-31"' in page.text  # the period kept

    pair = next(f for f in api.json()["flags"] if f["kind"] == "pair")
    form = {"flag": pair["key"], "decision": "referred", "note": "移送市场监管部门核查", **PERIOD}
    form["_csrf_token"] = client.cookies.get("market_csrf") or ""
    reviewed = await client.post("/supervision/screens/reviews", data=form, follow_redirects=False)
    assert reviewed.status_code == 303, reviewed.text
    assert reviewed.headers["location"] == "/supervision/screens?since=2026-03-01&until=2026-05-31"
    again = await client.get(reviewed.headers["location"])
    assert "已移送调查" in again.text and "移送市场监管部门核查" in again.text


async def test_a_review_form_field_over_its_limit_is_refused_and_nothing_kept(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user: Any,
    fresh_database: ClonedDatabase,
) -> None:
    await _market(fresh_database.database)
    await make_user("sup.limits", Role.SUPERVISOR)
    headers = await sign_in(client, "sup.limits")
    listed = await client.get("/api/supervision/screens", params=PERIOD, headers=headers)
    pair = next(f for f in listed.json()["flags"] if f["kind"] == "pair")
    client.cookies.set("market_session", headers["Authorization"].removeprefix("Bearer "))
    await client.get("/supervision/screens", params=PERIOD)  # the page sets the CSRF cookie
    token = client.cookies.get("market_csrf") or ""
    too_long = {
        "note": "说" * (screening.MAX_NOTE + 1),
        "flag": "x" * (screening.MAX_FLAG + 1),
        "decision": "r" * 21,
        "since": "2" * 41,
    }
    for field, value in too_long.items():
        form = {"flag": pair["key"], "decision": "referred", "note": "移送核查", **PERIOD, field: value}
        refused = await client.post(
            "/supervision/screens/reviews", data={**form, "_csrf_token": token}, follow_redirects=False
        )
        assert refused.status_code == 400, (field, refused.status_code)
        assert field in refused.text, field  # the page names the field it refused
    async with fresh_database.database.sessions() as session:
        assert (await session.scalar(select(func.count()).select_from(ScreenReview))) == 0
