"""The city's figures over HTTP: the hand-computed data set through the API, the CSV export
and the dashboard with its server-drawn charts; bad parameters named."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar.testing import AsyncTestClient

from market.models import Role
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in
from tests.integration.test_statistics import _data


async def test_figures_csv_and_dashboard(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user: Any,
    fresh_database: ClonedDatabase,
) -> None:
    await _data(fresh_database.database)
    await make_user("sup.tang", Role.SUPERVISOR)
    headers = await sign_in(client, "sup.tang")
    got = await client.get(
        "/api/supervision/statistics", params={"period": "2026", "group_by": "none"}, headers=headers
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"]["posted"] == 5 and body["total"]["success_rate"] == "66.67"  # decimals as text
    assert body["growth"] == "150.00"
    by_kind = await client.get("/api/supervision/statistics", params={"period": "2026"}, headers=headers)
    assert {r["label"] for r in by_kind.json()["rows"]} == {"中介超市", "小额工程"}

    exported = await client.get(
        "/api/supervision/statistics/csv", params={"period": "2026", "table": "figures"}, headers=headers
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["分组", "发布", "成交"] and rows[-1][:2] == ["合计", "5"]
    on_time = await client.get(
        "/api/supervision/statistics/csv", params={"period": "2026", "table": "on_time"}, headers=headers
    )
    assert list(csv.reader(io.StringIO(on_time.content.decode("utf-8-sig"))))[-1] == [
        "全部",
        "2",
        "1",
        "1",
        "33.33",
    ]

    client.cookies.set("market_session", headers["Authorization"].removeprefix("Bearer "))
    page = await client.get("/supervision/dashboard", params={"period": "2026"}, headers=headers)
    assert page.status_code == 200, page.text
    assert page.text.count("<svg") == 3 and "项目数量" in page.text and "66.67%" in page.text

    for params, expected in (
        ({"group_by": "owner"}, "group_by"),
        ({"table": "bids"}, "table"),
        ({"period": "2026-Q9"}, "quarter"),
    ):
        path = "/api/supervision/statistics/csv" if "table" in params else "/api/supervision/statistics"
        refused = await client.get(path, params=params, headers=headers)
        assert refused.status_code == 422 and expected in refused.text
