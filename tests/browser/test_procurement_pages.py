"""An owner's procurement, walked through in a real browser: signing in through the page,
a draft refused with the message beside its field and what was typed kept, a publication
refused beside the field at fault, then published and read by a visitor, amended, and
signing out."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts
from market.audit import Actor
from market.calendar import working_calendar
from market.clock import local
from market.db import Database
from market.models import OrganisationKind, Role
from market.settings import AuthSettings
from tests import draw_data
from tests.browser.conftest import PASSWORD, LiveApp
from tests.registry_data import admitted_firm, intermediary, uscc

pytestmark = pytest.mark.browser
INPUT_TIME = "%Y-%m-%dT%H:%M"


async def _owner_and_firms(live_app: LiveApp) -> str:
    """An owner account of a new organisation, and two admitted cost consultants (the live
    app's database is shared by the session, so names and codes are unique)."""
    assert live_app.settings.database_url is not None
    serial = uuid.uuid4().int % 10**7 * 10 + 9 * 10**8  # nine digits: uscc() keeps nine
    username = f"owner.proc{serial % 10**6}"
    database = Database.connect(live_app.settings.database_url, pool_size=1)
    try:
        async with database.unit_of_work() as uow:
            org = await accounts.create_organisation(
                uow, Actor.system("test"), kind=OrganisationKind.OWNER, name=f"韶关市测试业主单位{serial}",
                uscc=uscc(serial), address="韶关市", contact_phone="",
            )  # fmt: skip
            await accounts.create_user(
                uow, Actor.system("test"), username=username, display_name="采购经办人", password=PASSWORD,
                roles=[Role.OWNER], organisation_id=org.id, auth=AuthSettings(),
            )  # fmt: skip
            await uow.commit()
        for n in (1, 2):
            await admitted_firm(database, intermediary(serial + n), now=datetime.now(UTC))
    finally:
        await database.dispose()
    return username


async def _field_error(page: Page, field: str) -> str:
    return await page.locator(f"#field-{field} .field-error").first.inner_text()


async def _declare_draw(page: Page, edit_url: str) -> None:
    """The draw's declaration the publish form sends: the owner's commitment over the reserved
    reference and the beacon (made here as the page's commitment step makes them)."""
    procurement_id = edit_url.rstrip("/").split("/")[-2]
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "market_csrf")
    reserved = await page.request.post(
        f"/api/procurements/{procurement_id}/reference", headers={"X-CSRFToken": csrf}
    )
    assert reserved.ok, await reserved.text()
    declared = draw_data.publish_json((await reserved.json())["reference"])
    fields = {"owner_commitment": declared["owner_commitment"]}
    fields.update({f"beacon_{k}": v for k, v in declared["beacon"].items()})
    await page.evaluate(
        """(fields) => {
            const form = document.querySelector('form[action$="/publish"]');
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                Object.assign(input, {type: "hidden", name, value});
                form.appendChild(input);
            }
        }""",
        fields,
    )


async def test_an_owner_drafts_publishes_and_amends_through_the_pages(
    page: Page, browser: Browser, live_app: LiveApp
) -> None:
    username = await _owner_and_firms(live_app)
    calendar = working_calendar()
    now = datetime.now(UTC)  # the live app runs on the system clock
    earliest = local(calendar.add_working_days(now, 3))
    deadline = local(calendar.add_working_days(now, 6)).replace(hour=10, minute=0)
    title = f"浏览器测试道路工程造价咨询{uuid.uuid4().hex[:6]}"

    # an owner page sends a visitor to sign in, and back after
    await page.goto("/my/procurements/new")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Fmy%2Fprocurements%2Fnew$"))
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill("not the password at all")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    await expect(page.get_by_label("用户名")).to_have_value(username)
    await expect(page.get_by_label("密码")).to_have_value("")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{live_app.url}/my/procurements/new")
    await expect(page.locator("#signed-in-as")).to_have_text(f"采购经办人（{username}）")

    # the form shows the earliest bid deadline as a date, counted in working days
    await expect(page.locator("#earliest-intermediary_service")).to_contain_text(
        earliest.strftime("%Y-%m-%d")
    )

    # a draft without its budget: the message beside the budget, everything typed kept
    await page.locator("#in-kind").select_option("intermediary_service")
    await page.locator("#in-title").fill(title)
    await page.locator("#in-description").fill("编制工程量清单及招标控制价，提交成果报告。")
    await page.locator("#in-division").select_option(label="浈江区")
    await page.locator("#in-service_type").select_option("cost_consulting")
    await page.locator("#in-ceiling").fill("250000.00")  # above the budget: publication refuses it
    await page.locator("#in-quote_mode").select_option("amount")
    await page.locator("#in-bid_deadline").fill(deadline.strftime(INPUT_TIME))
    await page.locator("#in-selection_time").fill(deadline.replace(hour=15).strftime(INPUT_TIME))
    await page.locator("#in-method").select_option("random")
    await page.locator("input[name=avoid_firm]").first.fill("91440203MA55K9870C")
    await page.locator("input[name=avoid_reason]").first.fill("与业主存在关联关系")
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("#problems")).to_contain_text("发现 1 处问题")
    assert await _field_error(page, "budget") == "此项必填。"
    await expect(page.locator("#in-title")).to_have_value(title)
    await expect(page.locator("#in-ceiling")).to_have_value("250000.00")
    await expect(page.locator("#in-service_type")).to_have_value("cost_consulting")
    await expect(page.locator("input[name=avoid_reason]").first).to_have_value("与业主存在关联关系")

    await page.locator("#in-budget").fill("200000.00")
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("#saved")).to_be_visible()
    await expect(page.locator("#eligible-count")).to_contain_text("现有 2 家企业符合条件")
    edit_url = page.url.split("?")[0]

    # publishing checks everything: the ceiling above the budget, beside the ceiling
    await page.locator("#publish-button").click()
    await expect(page.locator("#field-ceiling .field-error")).to_contain_text("above the budget")
    await expect(page.locator("#status")).to_have_text("草稿")
    await page.locator("#in-ceiling").fill("180000.00")
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("#saved")).to_be_visible()
    await _declare_draw(page, edit_url)
    await page.locator("#publish-button").click()
    await expect(page.locator("#status")).to_have_text("已发布")
    reference = await page.locator("#reference").inner_text()
    assert re.fullmatch(r"SGZJ-\d{4}-\d{4,}", reference)

    # a visitor finds it in the public list and reads its terms
    visitor = await browser.new_context(base_url=live_app.url, locale="zh-CN")
    try:
        public = await visitor.new_page()
        await public.goto("/procurements")
        await public.get_by_label("关键词（项目名称、概况或项目编号）").fill(reference)
        await public.get_by_role("button", name="查询").click()
        await expect(public.locator("#total")).to_have_text("共 1 个项目")
        await public.get_by_role("link", name=title).click()
        await expect(public.locator("#ceiling")).to_have_text("¥180,000.00")
        await expect(public.locator("#bid-deadline")).to_have_text(deadline.strftime("%Y-%m-%d %H:%M"))
        await expect(public.locator("#method")).to_have_text("随机抽取")
        await expect(public.locator("#requirements-explained")).to_contain_text("资质：不限")
        await expect(public.locator("#sign-in-link")).to_be_visible()
    finally:
        await visitor.close()

    # an amendment: the reason is required; then the change and the reason are public
    await page.goto(edit_url)
    await expect(page.locator("#amend-note")).to_contain_text("重新确认")
    await page.locator("#in-ceiling").fill("170000.00")
    await page.get_by_role("button", name="发布变更公告").click()
    await expect(page.locator("#field-reason .field-error")).to_be_visible()
    await expect(page.locator("#in-ceiling")).to_have_value("170000.00")
    await page.locator("#in-reason").fill("最高限价经财政评审核减")
    await page.get_by_role("button", name="发布变更公告").click()
    amendment = page.locator("#amendments .amendment").first
    await expect(amendment.locator(".amendment-reason")).to_have_text("最高限价经财政评审核减")
    await expect(amendment.locator("tr", has_text="最高限价")).to_contain_text("¥170,000.00")
    await expect(page.locator("#ceiling")).to_have_text("¥170,000.00")

    # signing out ends the session: the owner's pages ask to sign in again
    await page.get_by_role("button", name="退出").click()
    await expect(page.locator("#sign-in-link")).to_be_visible()
    await page.goto("/my/procurements")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Fmy%2Fprocurements$"))
