"""质疑与投诉 in a real browser, on an app whose clock the test moves: a bidder objects to the
published result with evidence, the owner dismisses it on its answer page, the bidder
complains from its list, a supervisor upholds the complaint; the result is void and the
procurement draws again (重新选取中)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from market import accounts
from market.audit import Actor
from market.db import Database
from market.models import Role
from market.settings import AuthSettings
from tests import objection_flow as flow
from tests.bid_data import PUBLISHED_AT
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app
from tests.browser.own_app import sign_in as _sign_in
from tests.conftest import PgServer

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
async def objection_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "o", PUBLISHED_AT) as app:
        yield app


async def _user(database: Database, username: str, role: Role, organisation_id: int | None) -> str:
    async with database.unit_of_work() as uow:
        await accounts.create_user(
            uow, Actor.system("test"), username=username, display_name=username, password=PASSWORD,
            roles=[role], organisation_id=organisation_id, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    return username


async def test_objection_answer_complaint_and_decision_through_the_pages(
    objection_app: OwnApp, browser: Browser, tmp_path: Path
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
