"""合同确认 in a real browser: a service procurement taken to ``awarded`` by the lifecycle; the
owner drafts the contract (told first that the instalments must add up to 100, what it typed
kept), saves and confirms it; the firm finds it on 我的中选项目, confirms, and downloads the
sealed contract; the owner's page shows it signed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import update

from market.db import Database
from market.models import User
from market.passwords import hash_password
from market.principal import Principal
from tests.award_flow import awarded_service, name_user
from tests.bid_data import PUBLISHED_AT
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app
from tests.browser.own_app import sign_in as _sign_in
from tests.conftest import PgServer

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
async def contract_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "c", PUBLISHED_AT) as app:
        yield app


async def _may_sign_in(database: Database, who: Principal) -> None:
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(User).where(User.id == who.user_id).values(password_hash=hash_password(PASSWORD))
        )
        await uow.commit()


async def test_owner_drafts_and_confirms_then_the_firm_confirms_and_gets_the_sealed_contract(
    contract_app: OwnApp, browser: Browser
) -> None:
    app = contract_app
    awarded = await awarded_service(app.database, 960)
    await name_user(app.database, awarded.buyer, "陈晓梅")
    await name_user(app.database, awarded.winner, "刘婷")
    for who in (awarded.buyer, awarded.winner):
        await _may_sign_in(app.database, who)
    app.clock.current = (awarded.awarded_at + timedelta(days=1)).astimezone(UTC)
    row = awarded.row
    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(2)]
    try:
        owner_page, firm_page = [await c.new_page() for c in contexts]
        await _sign_in(owner_page, awarded.buyer.username)
        await owner_page.goto(f"/my/procurements/{row.id}/contract")
        await expect(owner_page.locator("#status")).to_have_text("已定标")
        await expect(owner_page.locator("#award")).to_contain_text(awarded.award.uscc)
        await owner_page.locator("#in-term_start").fill("2026-12-01")
        await owner_page.locator("#in-term_end").fill("2027-05-31")
        await owner_page.locator("#in-scope").fill("编制施工图预算并进行全过程造价控制。")
        await owner_page.locator("#in-payment_description_0").fill("合同签订后十个工作日内")
        await owner_page.locator("#in-payment_percent_0").fill("30")
        await owner_page.locator("#in-payment_description_1").fill("竣工结算审核报告经甲方确认后")
        await owner_page.locator("#in-payment_percent_1").fill("60")
        await owner_page.locator("#save-draft").click()
        await expect(owner_page.locator("#refusal")).to_contain_text("各期付款比例之和须为 100%")
        await expect(owner_page.locator("#in-scope")).to_have_value("编制施工图预算并进行全过程造价控制。")
        await owner_page.locator("#in-payment_percent_1").fill("70")
        await owner_page.locator("#save-draft").click()
        await expect(owner_page.locator("#done")).to_contain_text("合同文本已保存")
        digest = (await owner_page.locator("#digest").inner_text()).strip()
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        await owner_page.locator("#confirm-contract").click()
        await expect(owner_page.locator("#done")).to_contain_text("等待中选单位确认")
        await expect(owner_page.locator("#owner-confirmed")).not_to_have_text("待确认")

        await _sign_in(firm_page, awarded.winner.username)
        await firm_page.goto("/my/awards")
        card = firm_page.locator(f"#award-{awarded.award.id}")
        await expect(card).to_have_attribute("data-step", "confirm")
        await expect(card).to_contain_text("请核对合同文本并确认")
        await expect(card.locator("#digest")).to_have_text(digest)
        await card.locator(f"#confirm-{awarded.award.id}").click()
        await expect(firm_page.locator("#done")).to_contain_text("电子合同已签发", timeout=60_000)
        await expect(card).to_have_attribute("data-step", "deliver")
        link = firm_page.locator(f"#contract-pdf-{awarded.award.id}")
        pdf = await firm_page.request.get(app.url + str(await link.get_attribute("href")))
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")

        await owner_page.goto(f"/my/procurements/{row.id}/contract")
        await expect(owner_page.locator("#status")).to_have_text("履约中")
        await expect(owner_page.locator("#signed")).to_contain_text("合同已签发")
        await expect(owner_page.locator("#draft-form")).to_have_count(0)
    finally:
        for context in contexts:
            await context.close()
