"""An object's history as a supervisor reads it (issue 14): each change named in Chinese with
its code beside it, the payload's Chinese as text (not \\u escapes), every entry checked
against its seal."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from market import audit
from market.audit import Actor
from market.models import Role
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in


async def test_the_history_page_names_each_change_and_shows_its_chinese(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user: Any,
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    async with database.unit_of_work() as uow:
        for action, payload in (
            ("procurement:created", {"title": "浈江区市政道路改造工程造价咨询"}),
            ("procurement:amended", {"changes": {"ceiling": ["180000.00", "175000.00"]}, "reason": "预算调整"}),
            ("procurement:unknown_kind", {"n": 1}),
        ):
            await audit.record(uow, Actor(None, "业主经办人 李华"), action, "procurement", "7", payload)
        await uow.commit()
    await audit.seal_pending(database)
    await make_user("sup.history", Role.SUPERVISOR)
    headers = await sign_in(client, "sup.history")
    client.cookies.set("market_session", headers["Authorization"].removeprefix("Bearer "))

    page = await client.get("/supervision/history/procurement/7")
    assert page.status_code == 200, page.text
    for text in ("浈江区市政道路改造工程造价咨询", "预算调整", "创建草稿", "变更公告", "业主经办人 李华"):
        assert text in page.text, text
    assert "procurement:unknown_kind" in page.text  # an action without a name shows its code
    assert "\\u" not in page.text and "审计链核验通过" in page.text
