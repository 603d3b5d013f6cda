"""监管 in a real browser (issue 14): a supervisor opens the dashboard — the figures with their
server-drawn charts and the CSV link — then the selection records, replays a real draw's
record (MATCH, with the offline command) and checks a published checkpoint on the public page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, expect

from market import accounts, audit
from market.audit import Actor
from market.models import Role
from market.settings import AuthSettings
from tests import objection_flow as flow
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import own_app, sign_in
from tests.conftest import PgServer

pytestmark = pytest.mark.browser
SUPERVISOR = "sup.browser"


@dataclass
class SupervisionApp:
    url: str
    reference: str


@pytest.fixture(scope="module")
async def supervision_app(
    test_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SupervisionApp]:
    async with own_app(test_server, tmp_path_factory, "s", datetime.now(UTC)) as app:
        picked = await flow.selected(app.database)  # a real draw: its record replays
        assert picked.row.reference is not None
        async with app.database.unit_of_work() as uow:
            await accounts.create_user(
                uow, Actor.system("test"), username=SUPERVISOR, display_name="王监督", password=PASSWORD,
                roles=[Role.SUPERVISOR], organisation_id=None, auth=AuthSettings(),
            )  # fmt: skip
            await uow.commit()
        await audit.seal_pending(app.database)
        app.clock.current = picked.selected_at.astimezone(UTC)
        yield SupervisionApp(app.url, picked.row.reference)


async def test_a_supervisor_reads_the_dashboard_replays_a_record_and_checks_a_checkpoint(
    supervision_app: SupervisionApp, browser: Browser
) -> None:
    context = await browser.new_context(base_url=supervision_app.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = await context.new_page()
        await sign_in(page, SUPERVISOR)
        await page.get_by_role("link", name="统计分析").click()
        await expect(page.locator("h1")).to_contain_text("统计分析")
        await expect(page.locator("#posted")).to_have_text("1")
        await expect(page.locator("figure svg")).to_have_count(3)
        await expect(page.locator("figure svg").first).to_contain_text("项目数量")
        await expect(page.locator("#csv-figures")).to_have_attribute("href", re.compile(r"table=figures"))

        await page.get_by_role("link", name="选取记录复核").click()
        row = page.locator("#records tbody tr").filter(has_text=supervision_app.reference)
        await expect(row).to_have_count(1)
        await row.get_by_role("link", name="复核").click()
        await expect(page.locator("#replay-result")).to_contain_text("MATCH")
        await expect(page.locator("#verify-command")).to_contain_text(
            "python -S -m selection.verify --frozen"
        )

        await page.goto("/checkpoints")
        checkpoint = (await page.locator("#checkpoint-list tbody code").first.inner_text()).strip()
        assert re.fullmatch(r"\d+:[0-9a-f]{64}", checkpoint)  # published when the draw was sealed
        await page.get_by_label("检查点（每行一个，格式 序号:哈希）").fill(checkpoint)
        await page.get_by_role("button", name="核验").click()
        await expect(page.locator("#result")).to_contain_text("一致：审计链完整")
    finally:
        await context.close()
