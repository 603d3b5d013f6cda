"""Delivery to evaluation in a real browser (issue 13), on an app whose clock the test sets:
the awarded firm is told a service needs a result file, uploads one and sees its SHA-256;
the owner accepts it, is told to score every criterion, evaluates; the firm sees its
evaluation and objects; a supervisor upholds the objection and the firm sees it annulled.

The procurement is put under contract by :func:`tests.delivery_data.contracted` (a stand-in
for the contract confirmation until it is merged)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts
from market.audit import Actor
from market.db import Database
from market.models import Role
from market.settings import AuthSettings
from tests.bid_data import owner
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app, sign_in
from tests.conftest import PgServer
from tests.delivery_data import PDF, contracted, later, score_of, with_password
from tests.registry_data import VOCABULARY

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
async def delivery_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "d", later(1)) as app:
        yield app


async def _sign_in(page: Page, username: str, then: str) -> None:
    await sign_in(page, username, at=f"/login?next={then}", lands=re.escape(then) + "$")


async def _supervisor(database: Database) -> str:
    centre = await owner(database, "韶关市公共资源交易中心")
    async with database.unit_of_work() as uow:
        await accounts.create_user(
            uow, Actor.system("test"), username="jd.supervisor", display_name="监督员",
            password=PASSWORD, roles=[Role.SUPERVISOR], organisation_id=centre.organisation_id,
            auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    return "jd.supervisor"


async def test_upload_accept_evaluate_and_the_firm_sees_and_objects(
    delivery_app: OwnApp, browser: Browser
) -> None:
    app = delivery_app
    c = await contracted(app.database, serial=970)
    firm_user = await with_password(app.database, c.firm, PASSWORD)
    owner_user = await with_password(app.database, c.buyer, PASSWORD)
    supervisor_user = await _supervisor(app.database)
    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(3)]
    try:
        firm, buyer, supervisor = [await context.new_page() for context in contexts]
        delivery_page = f"/my/awards/{c.award_id}/delivery"
        await _sign_in(firm, firm_user, delivery_page)
        await expect(firm.locator("#status")).to_have_text("履约中")
        await firm.locator("#note").fill("终稿，含附图")
        await firm.locator("#submit-delivery").click()
        await expect(firm.locator("#refusal")).to_contain_text("文件不符合要求")
        await expect(firm.locator("#refusal")).to_contain_text("at least one")
        await expect(firm.locator("#note")).to_have_value("终稿，含附图")  # what was typed is kept
        await firm.locator("#files").set_input_files(
            files=[{"name": "咨询报告.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        await firm.locator("#submit-delivery").click()
        await expect(firm.locator("#done")).to_have_text("已提交，等待业主验收。")
        await expect(firm.locator("#status")).to_have_text("待验收")
        await expect(firm.locator("#deliveries")).to_contain_text(hashlib.sha256(PDF).hexdigest())
        await expect(firm.locator("#submit-delivery")).to_have_count(0)

        acceptance = f"/my/procurements/{c.procurement_id}/acceptance"
        await _sign_in(buyer, owner_user, acceptance)
        await expect(buyer.locator("#deliveries")).to_contain_text("咨询报告.pdf")
        await buyer.locator("[id^=accept-]").click()
        await expect(buyer.locator("#done")).to_contain_text("已验收通过")
        await expect(buyer.locator("#status")).to_have_text("待评价")
        for code, n in (("quality", "5"), ("timeliness", "4"), ("attitude", "4")):  # compliance left out
            await buyer.locator(f"input[name=score-{code}][value='{n}']").check()
        await buyer.locator("#comment").fill("成果质量较好")
        await buyer.locator("#submit-evaluation").click()
        await expect(buyer.locator("#refusal")).to_contain_text("请为每一项评价指标打 1–5 分")
        await expect(buyer.locator("#refusal")).to_contain_text("compliance")
        await expect(buyer.locator("input[name=score-quality][value='5']")).to_be_checked()
        await buyer.locator("input[name=score-compliance][value='5']").check()
        await buyer.locator("#submit-evaluation").click()
        await expect(buyer.locator("#done")).to_contain_text("已记入该单位信用分")
        await expect(buyer.locator("#rating")).to_have_text("5 星")  # mean 4.5, half up
        policy = VOCABULARY.credit
        assert await score_of(app.database, c.firm_id) == policy.base + policy.evaluation[5] + policy.on_time

        await firm.goto("/my/evaluations")
        card = firm.locator(".evaluation").first
        await expect(card.locator(".rating")).to_have_text("5 星")
        await expect(card).to_contain_text("成果质量较好")
        await card.locator("textarea[name=grounds]").fill("时效评分与合同约定的完成期限不符")
        await card.locator("[id^=object-]").click()
        await expect(firm.locator("#done")).to_contain_text("异议已提交")

        await _sign_in(supervisor, supervisor_user, "/supervision/evaluations")
        item = supervisor.locator(".evaluation").first
        await expect(item).to_contain_text("时效评分与合同约定的完成期限不符")
        await item.locator("[id^=uphold-]").click()
        await expect(supervisor.locator("#done")).to_contain_text("异议成立")
        assert await score_of(app.database, c.firm_id) == policy.base

        await firm.reload()
        await expect(firm.locator(".evaluation .objection").first).to_contain_text("异议成立，评价已撤销")
    finally:
        for context in contexts:
            await context.close()
