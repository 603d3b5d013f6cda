"""The intermediary's bidding pages in a real browser: the list with the reasons a firm may
not bid, a quote above the ceiling refused beside the field with the value kept, a valid
quote confirmed and submitted with an attachment, the receipt with its digest, a
replacement (version 2), a withdrawal, and a second firm's user who sees nothing of it."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from market.db import Database
from market.procurement.draft import Avoidance
from market.sealed.keys import load_kek
from tests.bidder_pages_data import PASSWORD, agency, owner, publish
from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser


async def _world(live_app: LiveApp) -> dict[str, str]:
    """In the live app's database (shared by the session, so names are unique): an owner,
    two agencies and two procurements open for three weeks from now (the app's clock is the
    system's), one of which keeps the first agency out (回避)."""
    tag = uuid.uuid4().hex[:6]
    serial = int(tag, 16) % 10**6 + 10**6
    assert live_app.settings.database_url is not None
    database = Database.connect(live_app.settings.database_url, pool_size=1)
    try:
        now = datetime.now(UTC)
        buyer = await owner(database, f"b.owner.{tag}", serial)
        first = await agency(database, serial + 1, f"b.agency.{tag}", now=now)
        await agency(database, serial + 2, f"b.rival.{tag}", now=now)
        key = load_kek(live_app.settings.home, live_app.settings.bid_key_file)
        title = f"浈江区道路改造工程造价咨询{tag}"
        await publish(database, buyer, key, now, title=title)
        await publish(
            database,
            buyer,
            key,
            now,
            title=f"武江区学校改扩建造价咨询{tag}",
            avoidance=(Avoidance(first, "与业主存在关联关系"),),
        )
    finally:
        await database.dispose()
    return {"tag": tag, "title": title, "agency": f"b.agency.{tag}", "rival": f"b.rival.{tag}"}


async def _sign_in(page: Page, username: str) -> None:
    # the API's login sets the session and CSRF cookies in the browser context
    response = await page.request.post("/api/auth/login", data={"username": username, "password": PASSWORD})
    assert response.ok, await response.text()


async def _quote_and_confirm(page: Page, quote: str, attachment: Path | None = None) -> None:
    await page.get_by_label("报价金额（元）").fill(quote)
    await page.get_by_role("button", name="下一步：核对报价").click()
    await expect(page.locator("#confirm-quote")).to_be_visible()
    if attachment is not None:
        await page.get_by_label("报价附件（可选）").set_input_files(str(attachment))
    await page.get_by_role("button", name="确认提交报价").click()
    await expect(page).to_have_url(re.compile(r"/bidding/receipts/\d+$"))


async def test_an_intermediary_bids_replaces_and_withdraws_and_a_rival_sees_nothing(
    page: Page, browser: Browser, live_app: LiveApp, tmp_path: Path
) -> None:
    world = await _world(live_app)
    await _sign_in(page, world["agency"])

    await page.goto("/bidding")
    await expect(page.locator("h1")).to_have_text("可参与的采购项目")
    avoided = page.locator("li.procurement", has_text=f"武江区学校改扩建造价咨询{world['tag']}")
    await expect(avoided.locator(".may-bid.no")).to_be_visible()
    await expect(avoided.locator("ul.reasons")).to_contain_text("回避原因：与业主存在关联关系")
    row = page.locator("li.procurement", has_text=world["title"])
    await expect(row.locator(".may-bid.yes")).to_have_text("✔ 贵单位现在可以报价")
    await expect(row.locator(".countdown")).to_contain_text("剩余")

    await row.get_by_role("link", name="填写报价").click()
    await expect(page.locator("#ceiling")).to_have_text("¥180,000.00")
    await page.get_by_label("报价金额（元）").fill("190000")
    await page.get_by_role("button", name="下一步：核对报价").click()
    beside = page.locator(".field.has-error .field-error")
    await expect(beside).to_contain_text("高于最高限价 ¥180,000.00")
    await expect(page.get_by_label("报价金额（元）")).to_have_value("190000")

    document = tmp_path / "报价说明.pdf"
    document.write_bytes(b"%PDF-1.4\n% bid note\n%%EOF\n")
    await page.get_by_label("报价金额（元）").fill("150000")
    await page.get_by_role("button", name="下一步：核对报价").click()
    await expect(page.locator("#confirm-words")).to_have_text("人民币壹拾伍万元整")
    await page.get_by_label("报价附件（可选）").set_input_files(str(document))
    await page.get_by_role("button", name="确认提交报价").click()
    await expect(page).to_have_url(re.compile(r"/bidding/receipts/\d+$"))
    receipt_url = page.url
    await expect(page.locator("#receipt-version")).to_have_text("第 1 版")
    first_digest = await page.locator("#receipt-digest").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", first_digest)
    await expect(page.locator("#receipt-meaning")).to_contain_text("开标记录")
    async with page.expect_download() as download_info:
        await page.locator("#download-receipt").click()
    download = await download_info.value
    saved = Path(await download.path())
    assert first_digest in await asyncio.to_thread(saved.read_text, encoding="utf-8")

    await page.get_by_role("link", name="替换报价").click()
    await _quote_and_confirm(page, "140000")
    assert page.url == receipt_url
    await expect(page.locator("#receipt-version")).to_have_text("第 2 版")
    assert await page.locator("#receipt-digest").inner_text() != first_digest

    await page.get_by_role("link", name="撤回报价").click()
    await page.get_by_role("button", name="确认撤回").click()
    await expect(page).to_have_url(receipt_url)
    await expect(page.locator("#receipt-state")).to_contain_text("已撤回")
    await page.goto("/bidding")
    await expect(page.locator("li.procurement", has_text=world["title"]).locator(".bid-state")).to_have_text(
        "已撤回"
    )

    rival_context = await browser.new_context(base_url=live_app.url, locale="zh-CN")
    try:
        rival = await rival_context.new_page()
        await _sign_in(rival, world["rival"])
        await rival.goto("/bidding")
        rival_row = rival.locator("li.procurement", has_text=world["title"])
        await expect(rival_row.locator(".own-bid")).to_contain_text("贵单位尚未报价")
        await expect(rival_row.locator(".may-bid.yes")).to_be_visible()
        response = await rival.goto(receipt_url)
        assert response is not None and response.status == 404
        assert first_digest not in await rival.content()
    finally:
        await rival_context.close()
