"""我的抽取通知 in a real browser: a small works drawn from the pool (through the lifecycle, on
an app whose clock the test moves); the drawn contractor signs in and lands on its offers,
is told to give a reason when it declines without one (what it typed kept), declines; the
alternate confirms from its own page; the public procurement page shows the chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts
from market.audit import Actor
from market.db import Database
from market.models import Role
from market.settings import AuthSettings
from tests.bid_data import PUBLISHED_AT, owner
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app, sign_in
from tests.conftest import PgServer
from tests.registry_data import admitted_firm, contractor
from tests.works_flow import SELECTION, drawn, offers_of, published_works

pytestmark = pytest.mark.browser

BUILDERS = ("韶关市武江建安工程有限公司", "仁化县丹霞市政工程有限公司", "始兴县墨江建筑工程有限公司")




@pytest.fixture(scope="module")
async def works_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "wk", PUBLISHED_AT) as app:
        yield app


async def _builder(database: Database, index: int) -> str:
    """An admitted housing contractor with a user ``builder.<index>``; its USCC."""
    raw = contractor(940_100 + index, name=BUILDERS[index])
    firm_id = await admitted_firm(database, raw, now=PUBLISHED_AT - timedelta(days=30))
    async with database.unit_of_work() as uow:
        await accounts.create_user(
            uow, Actor.system("test"), username=f"builder.{index}", display_name=BUILDERS[index],
            password=PASSWORD, roles=[Role.CONTRACTOR], organisation_id=firm_id, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    return str(raw["uscc"])


async def _sign_in(page: Page, username: str) -> None:
    await sign_in(page, username, lands=r"/offers$")  # a contractor lands on its offers


async def test_the_drawn_contractor_declines_with_a_reason_and_the_alternate_confirms(
    works_app: OwnApp, browser: Browser
) -> None:
    app = works_app
    by_uscc = {await _builder(app.database, n): f"builder.{n}" for n in range(len(BUILDERS))}
    buyer = await owner(app.database, "韶关市浈江区住房和城乡建设管理局")
    row = await published_works(app.database, buyer, alternates=1, title="浈江区某小区雨污分流改造小额工程")
    await drawn(app.database, buyer, row)
    app.clock.current = (SELECTION + timedelta(hours=1)).astimezone(UTC)
    first = (await offers_of(app.database, row.id))[0]
    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(3)]
    try:
        drawn_page, alternate_page, visitor = [await c.new_page() for c in contexts]
        await _sign_in(drawn_page, by_uscc[first.uscc])
        card = drawn_page.locator(f"#offer-{first.id}")
        await expect(card).to_contain_text("浈江区某小区雨污分流改造小额工程")
        await expect(card).to_contain_text("第 1 位")
        await expect(card.locator(".answer")).to_have_text("待答复")
        await drawn_page.locator(f"#reason-{first.id}").fill("   ")
        await drawn_page.locator(f"#decline-{first.id}").click()
        await expect(drawn_page.locator("#refusal")).to_have_text("放弃须填写理由。")
        await drawn_page.locator(f"#reason-{first.id}").fill("施工队伍在乐昌项目，无法按期进场")
        await drawn_page.locator(f"#decline-{first.id}").click()
        await expect(card.locator(".answer")).to_contain_text("已放弃")
        await expect(card).to_contain_text("施工队伍在乐昌项目，无法按期进场")
        await expect(drawn_page.locator(f"#confirm-{first.id}")).to_have_count(0)

        second = (await offers_of(app.database, row.id))[1]
        await _sign_in(alternate_page, by_uscc[second.uscc])
        await expect(alternate_page.locator(f"#offer-{second.id}")).to_contain_text("（候补）")
        await alternate_page.locator(f"#confirm-{second.id}").click()
        await expect(alternate_page.locator(f"#offer-{second.id} .answer")).to_contain_text("已确认承接")

        await visitor.goto(f"/procurements/{row.id}")
        await expect(visitor.locator("#status")).to_have_text("已选取")
        chain = visitor.locator("#offer-chain")
        await expect(chain.locator("tr[data-rank='1']")).to_contain_text("已放弃")
        await expect(chain.locator("tr[data-rank='1']")).to_contain_text("施工队伍在乐昌项目")
        await expect(chain.locator("tr[data-rank='2']")).to_contain_text("已确认承接")
    finally:
        for context in contexts:
            await context.close()
