"""Issue 13 in a real browser, one procurement from its result to its evaluation: a visitor
reads the published result (结果公示) with its sealed notice; after the publicity the owner
drafts and confirms the contract, the firm confirms it on 我的中选项目; the firm delivers its
result, the owner accepts and evaluates it, and the firm reads its evaluation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest
from playwright.async_api import Browser, expect

from market.award import documents as award_documents
from market.document_office import DocumentOffice
from market.settings import Settings
from tests.award_flow import in_publicity
from tests.bid_data import PUBLISHED_AT, TERMS
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app
from tests.browser.own_app import sign_in as _sign_in
from tests.conftest import PgServer
from tests.delivery_data import with_password
from tests.integration.test_lifecycle import _advancing
from tests.registry_data import VOCABULARY

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.7\n%result\n" + b"0" * 400




@pytest.fixture(scope="module")
async def walk_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "w13", PUBLISHED_AT) as app:
        yield app


async def _issue_notices(app: OwnApp) -> None:
    office = DocumentOffice(Settings(home=app.home, render_workers=1))  # the app's seal, same home
    try:
        await award_documents.issue_pending(
            app.database, office, app.clock.now(), terms=TERMS, vocabulary=VOCABULARY
        )
    finally:
        office.close()


async def test_publicity_then_confirmation_then_evaluation(walk_app: OwnApp, browser: Browser) -> None:
    app = walk_app
    selected = await in_publicity(app.database, 980)
    row, award = selected.row, selected.award
    app.clock.current = (award.selected_at + timedelta(minutes=30)).astimezone(UTC)
    await _issue_notices(app)
    owner_user = await with_password(app.database, selected.buyer, PASSWORD)
    firm_user = await with_password(app.database, selected.winner, PASSWORD)
    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(3)]
    try:
        visitor, owner, firm = [await c.new_page() for c in contexts]
        await visitor.goto(f"/procurements/{row.id}")
        publicity = visitor.locator("#publicity")
        await expect(publicity).to_contain_text("结果公示")
        await expect(visitor.locator("#publicity-period")).to_contain_text("公示中")
        await expect(visitor.locator("#award-verify-command")).to_contain_text("selection.verify")
        notice = await visitor.request.get(
            app.url + str(await visitor.locator("#result-notice-pdf").get_attribute("href"))
        )
        assert notice.ok and (await notice.body()).startswith(b"%PDF")

        # the publicity ends with no objection: awarded, the selection notice issued
        app.clock.current = selected.awarded_at.astimezone(UTC)
        await _advancing(app.database)(selected.awarded_at)
        await _issue_notices(app)
        app.clock.current = (selected.awarded_at + timedelta(days=1)).astimezone(UTC)

        await _sign_in(owner, owner_user)
        await owner.goto(f"/my/procurements/{row.id}/contract")
        await expect(owner.locator("#status")).to_have_text("已定标")
        await owner.locator("#in-term_start").fill("2026-12-01")
        await owner.locator("#in-term_end").fill("2027-05-31")
        await owner.locator("#in-scope").fill("编制施工图预算并进行全过程造价控制。")
        await owner.locator("#in-payment_description_0").fill("合同签订后十个工作日内")
        await owner.locator("#in-payment_percent_0").fill("30")
        await owner.locator("#in-payment_description_1").fill("竣工结算审核报告经甲方确认后")
        await owner.locator("#in-payment_percent_1").fill("70")
        await owner.locator("#save-draft").click()
        await expect(owner.locator("#done")).to_contain_text("合同文本已保存")
        await owner.locator("#confirm-contract").click()
        await expect(owner.locator("#done")).to_contain_text("等待中选单位确认")

        await _sign_in(firm, firm_user)
        await firm.goto("/my/awards")
        card = firm.locator(f"#award-{award.id}")
        await card.locator(f"#confirm-{award.id}").click()
        await expect(firm.locator("#done")).to_contain_text("电子合同已签发", timeout=60_000)

        await firm.goto(f"/my/awards/{award.id}/delivery")
        await expect(firm.locator("#status")).to_have_text("履约中")
        await firm.locator("#files").set_input_files(
            files=[{"name": "审核报告.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        await firm.locator("#note").fill("终稿")
        await firm.locator("#submit-delivery").click()
        await expect(firm.locator("#done")).to_have_text("已提交，等待业主验收。")

        await owner.goto(f"/my/procurements/{row.id}/acceptance")
        await owner.locator("[id^=accept-]").click()
        await expect(owner.locator("#done")).to_contain_text("已验收通过")
        for criterion in TERMS.after.criteria:
            await owner.locator(f"input[name=score-{criterion.code}][value='5']").check()
        await owner.locator("#comment").fill("按期交付，质量好")
        await owner.locator("#submit-evaluation").click()
        await expect(owner.locator("#done")).to_contain_text("已记入该单位信用分")
        await expect(owner.locator("#rating")).to_have_text("5 星")

        await firm.goto("/my/evaluations")
        await expect(firm.locator(".evaluation").first).to_contain_text(row.reference or "")
    finally:
        for context in contexts:
            await context.close()
