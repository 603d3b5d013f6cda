"""The registry's pages in a real browser: from the home page's search to the directory,
then through to a firm's page with its licences and the badge of an expired one."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from market.clock import local
from market.db import Database
from tests.browser.conftest import LiveApp
from tests.registry_data import admitted_firm, contractor

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def _admit(live_app: LiveApp, name: str) -> int:
    """A contractor with a current and an expired licence, in the live app's database
    (shared by the session, so the name is unique)."""
    now = datetime.now(UTC)  # the live app runs on the system clock
    today = local(now).date()
    serial = uuid.uuid4().int % 10**8 + 10**8
    raw = contractor(
        serial,
        name=name,
        licences=[
            {
                "licence_type": "building_gc",
                "grade": "三级",
                "number": f"D3{serial}",
                "issuer": "韶关市住房和城乡建设管理局",
                "valid_until": (today + timedelta(days=400)).isoformat(),
            },
            {
                "licence_type": "safety_permit",
                "grade": "",
                "number": f"(粤)JZ安许证字[2022]{serial}",
                "issuer": "广东省住房和城乡建设厅",
                "valid_until": (today - timedelta(days=10)).isoformat(),
            },
        ],
    )
    assert live_app.settings.database_url is not None
    database = Database.connect(live_app.settings.database_url, pool_size=1)
    try:
        return await admitted_firm(database, raw, now=now)
    finally:
        await database.dispose()


async def test_search_from_the_home_page_leads_to_the_firm_and_its_licences(
    page: Page, live_app: LiveApp, tmp_path: Path
) -> None:
    name = f"韶关市浏览器测试建设有限公司{uuid.uuid4().hex[:6]}"
    firm_id = await _admit(live_app, name)

    await page.goto("/")
    await page.get_by_role("link", name="浏览企业名录").wait_for()
    await page.get_by_label("名称或统一社会信用代码").fill(name)
    await page.get_by_role("button", name="搜索企业").click()

    await expect(page).to_have_url(re.compile(r"/firms\?q="))
    await expect(page.locator("h1")).to_contain_text("企业名录")
    await expect(page.locator("#total")).to_have_text("共 1 家")
    await expect(page.get_by_label("名称或统一社会信用代码")).to_have_value(name)
    unlabelled = await page.locator("form.search-form").evaluate(
        "form => [...form.querySelectorAll('input:not([type=hidden]), select')]"
        ".filter(el => el.labels.length === 0).map(el => el.name)"
    )
    assert unlabelled == []
    row = page.locator("table.firms tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("浈江区")
    await expect(row).to_contain_text("已入库")

    await row.get_by_role("link", name=name).click()
    await expect(page).to_have_url(f"{live_app.url}/firms/{firm_id}")
    await expect(page.locator("h1")).to_have_text(name)
    licences = page.locator("#licences")
    await expect(licences.get_by_role("heading", name="资质证书")).to_be_visible()
    expired = licences.locator("tr", has_text="安全生产许可证")
    await expect(expired.locator(".badge")).to_have_text("已过期")
    current = licences.locator("tr", has_text="三级")
    await expect(current.locator(".badge")).to_have_text("有效")
    await expect(page.locator("#contact")).to_contain_text("登录后可查看联系方式")

    screenshot = tmp_path / "firm.png"
    await page.screenshot(path=screenshot, full_page=True)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)


async def test_a_bad_filter_in_the_address_shows_the_reason_in_chinese(page: Page) -> None:
    response = await page.goto("/firms?sort=price")
    assert response is not None and response.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("排序方式只能是")
