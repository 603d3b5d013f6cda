"""质疑与投诉 in a real browser, on an app whose clock the test moves: a bidder objects to the
published result with evidence, the owner dismisses it on its answer page, the bidder
complains from its list, a supervisor upholds the complaint; the result is void and the
procurement draws again (重新选取中)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.db import Database
from market.models import Role
from market.settings import AuthSettings, Settings
from tests import objection_flow as flow
from tests.bid_data import PUBLISHED_AT
from tests.browser.conftest import PASSWORD, _ServerThread
from tests.conftest import PgServer, _admin

pytestmark = pytest.mark.browser


@dataclass
class ObjectionApp:
    url: str
    database: Database
    clock: FixedClock


@pytest.fixture(scope="module")
async def objection_app(
    test_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ObjectionApp]:
    name = f"market_o_{uuid.uuid4().hex[:10]}"
    await _admin(test_server.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{test_server.template}"')
    url = test_server.url(name)
    home = tmp_path_factory.mktemp("market-objection-home")
    clock = FixedClock(PUBLISHED_AT.astimezone(UTC))
    server: _ServerThread | None = None
    database = Database.connect(url, pool_size=2)
    try:
        server = _ServerThread(
            lambda port: Settings(
                home=home, database_url=url, public_url=f"http://127.0.0.1:{port}", render_workers=1,
                scheduler_enabled=False,  # the test runs the lifecycle itself, at its times
            ),
            clock=clock,
        )  # fmt: skip
        await server.start()
        yield ObjectionApp(f"http://127.0.0.1:{server.port}", database, clock)
    finally:
        if server is not None:
            server.stop()
        await database.dispose()
        await _admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _user(database: Database, username: str, role: Role, organisation_id: int | None) -> str:
    async with database.unit_of_work() as uow:
        await accounts.create_user(
            uow, Actor.system("test"), username=username, display_name=username, password=PASSWORD,
            roles=[role], organisation_id=organisation_id, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    return username


async def _sign_in(page: Page, username: str) -> None:
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))


async def test_objection_answer_complaint_and_decision_through_the_pages(
    objection_app: ObjectionApp, browser: Browser, tmp_path: Path
) -> None:
    app = objection_app
    world = await flow.selected(app.database, first=700)
    row = world.row
    objector = await _user(app.database, "agency.objector", Role.INTERMEDIARY, world.firms[0].organisation_id)
    owner = await _user(app.database, "owner.answers", Role.OWNER, world.owner.organisation_id)
    supervisor = await _user(app.database, "supervisor.decides", Role.SUPERVISOR, None)
    evidence = tmp_path / "资质证书核查.pdf"
    evidence.write_bytes(b"%PDF-1.7\n%evidence\n" + b"0" * 200)
    app.clock.current = (world.selected_at + timedelta(hours=1)).astimezone(UTC)
    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(3)]
    try:
        firm_page, owner_page, supervisor_page = [await c.new_page() for c in contexts]

        await _sign_in(firm_page, objector)
        await firm_page.goto(f"/procurements/{row.id}/objections/new")
        await firm_page.locator("#grounds").fill("   ")
        await firm_page.locator("#grounds").evaluate("e => e.removeAttribute('required')")
        await firm_page.locator("#submit-objection").click()
        await expect(firm_page.locator("#refusal")).to_contain_text("grounds")
        await firm_page.locator("#grounds").fill("中选单位的造价工程师注册证书已过期")
        await firm_page.locator("#files").set_input_files(str(evidence))
        await firm_page.locator("#submit-objection").click()
        await expect(firm_page).to_have_url(re.compile(r"/my/objections#objection-\d+$"))
        card = firm_page.locator("#objections li").first
        await expect(card.locator(".objection-status")).to_have_text("待答复")
        await expect(card.locator(".case-file")).to_have_text("资质证书核查.pdf")
        objection_id = await card.get_attribute("data-objection")

        await _sign_in(owner_page, owner)
        await owner_page.goto(f"/my/procurements/{row.id}/objections")
        await owner_page.locator(f"#answer-{objection_id}").fill("经核查，证书在有效期内，质疑不成立。")
        await owner_page.locator(f"#answer-submit-{objection_id}").click()
        await expect(owner_page.locator(f"#objection-{objection_id} .objection-status")).to_have_text(
            "已答复"
        )

        await firm_page.goto("/my/objections")
        await expect(firm_page.locator(".answer")).to_contain_text("质疑不成立")
        await firm_page.locator(f"#complaint-{objection_id}").fill("答复未附证书查询结果")
        await firm_page.locator(f"#complain-{objection_id}").click()
        await expect(firm_page.locator(f"#objection-{objection_id} .objection-status")).to_have_text(
            "投诉处理中"
        )
        await expect(firm_page.locator(f"#complain-{objection_id}")).to_have_count(0)

        await _sign_in(supervisor_page, supervisor)
        await supervisor_page.goto("/supervision/objections")
        item = supervisor_page.locator(f"#objection-{objection_id}")
        await expect(item).to_contain_text("答复未附证书查询结果")
        await supervisor_page.locator(f"#accept-{objection_id}").check()
        await supervisor_page.locator(f"#note-{objection_id}").fill("经查询，证书已于公示前过期，投诉成立。")
        await supervisor_page.locator(f"#decide-{objection_id}").click()
        await expect(supervisor_page.locator("#no-objections")).to_be_visible()

        await firm_page.goto("/my/objections")
        await expect(firm_page.locator(".objection-outcome")).to_have_text("成立")
        await expect(firm_page.locator(".decision")).to_contain_text("投诉成立")
        await firm_page.goto(f"/procurements/{row.id}")
        await expect(firm_page.locator("#status")).to_have_text("重新选取中")
    finally:
        for context in contexts:
            await context.close()
