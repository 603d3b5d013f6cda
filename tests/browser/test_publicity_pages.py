"""结果公示 in a real browser: a service procurement drawn through the real lifecycle, its result
notice issued by the platform; a visitor reads the result on the public page (the winner,
the price, the record's digest with the command that recomputes it) and downloads the sealed
notice; a bidder that lost signs in and finds the objection link while the publicity runs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest
from playwright.async_api import Browser, expect

from market.award import documents as award_documents
from market.document_office import DocumentOffice
from market.settings import Settings
from tests.award_data import current, give_passwords, selected_service
from tests.bid_data import PUBLISHED_AT, TERMS
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app
from tests.browser.own_app import sign_in as _sign_in
from tests.conftest import PgServer
from tests.registry_data import VOCABULARY

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
async def result_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "p", PUBLISHED_AT) as app:
        yield app


async def test_a_visitor_reads_the_result_and_its_notice_and_a_losing_bidder_may_object(
    result_app: OwnApp, browser: Browser
) -> None:
    app = result_app
    selected = await selected_service(app.database)
    office = DocumentOffice(Settings(home=app.home, render_workers=1))  # the app's seal, same home
    try:
        issued = await award_documents.issue_pending(
            app.database, office, selected.selected_at, terms=TERMS, vocabulary=VOCABULARY
        )
    finally:
        office.close()
    assert issued == 1
    award = await current(app.database, selected.procurement_id)
    loser = next(p for p in selected.bidders if p.organisation_uscc != award.uscc)
    await give_passwords(app.database, loser, password=PASSWORD)
    app.clock.current = (selected.selected_at + timedelta(hours=2)).astimezone(UTC)

    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(2)]
    try:
        visitor, bidder = [await c.new_page() for c in contexts]
        await visitor.goto(f"/procurements/{selected.procurement_id}")
        section = visitor.locator("#publicity")
        await expect(section.locator("h2")).to_have_text("结果公示")
        await expect(section.locator("#award-amount")).to_have_text(f"¥{award.amount:,.2f}")
        await expect(section.locator("#publicity-period")).to_contain_text("公示中")
        digest = await section.locator("#award-record-digest").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        await expect(section.locator("#award-verify-command")).to_contain_text(
            "python -S -m selection.verify --frozen"
        )
        await expect(section.locator("#objection-counts")).to_contain_text("已提出质疑 0 件")
        await expect(section.locator("#object-link")).to_have_count(0)
        href = await section.locator("#result-notice-pdf").get_attribute("href")
        assert href == f"/api/documents/{award.result_notice_id}/pdf"
        pdf = await visitor.request.get(href)
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")

        await _sign_in(bidder, loser.username)
        await bidder.goto(f"/procurements/{selected.procurement_id}")
        link = bidder.locator("#publicity #object-link")
        await expect(link).to_have_text("提出质疑")
        assert await link.get_attribute("href") == f"/procurements/{selected.procurement_id}/objections/new"
    finally:
        for context in contexts:
            await context.close()
