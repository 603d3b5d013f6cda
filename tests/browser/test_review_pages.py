"""The review step's pages in a real browser, on an app whose clock the test moves: the
owner names its reviewers; after the opening a reviewer's out-of-range score is refused
beside its cell with what was typed kept, then the complete sheet is submitted; the owner
sees who submitted, never the scores; the public page shows every submitted score only
once the inputs are frozen at the review deadline, with the reviewer left out named."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts, lifecycle
from market.audit import Actor
from market.bidding import service as bids
from market.calendar_years import Calendars
from market.models import OrganisationKind, Role
from market.procurement import service
from market.procurement.draft import ReviewCriterion
from market.procurement.draft_input import terms_json
from tests import draw_data
from tests.bid_data import BEFORE, DEADLINE, PUBLISHED_AT, TERMS, acting, amount, bidder
from tests.browser.own_app import OwnApp
from tests.browser.test_draw_pages import _account, _sign_in, _visit, draw_app
from tests.registry_data import VOCABULARY, uscc
from tests.unit.procurement.conftest import service_draft

pytestmark = pytest.mark.browser
__all__ = ["draw_app"]  # the module-scoped app fixture, on its own database for this module

REVIEW_DEADLINE = DEADLINE + timedelta(days=1)
CRITERIA = (
    ReviewCriterion("plan", "服务方案", Decimal(60)),
    ReviewCriterion("team", "项目团队", Decimal(40)),
)


async def _published_scored(app: OwnApp) -> tuple[int, list[int]]:
    """An owner (owner.review) and a second owner account (rev.review) of one organisation,
    three admitted firms with a bid each on the owner's published scored procurement."""
    async with app.database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow, Actor.system("test"), kind=OrganisationKind.OWNER, name="韶关市评审测试业主单位",
            uscc=uscc(940_001), address="韶关市", contact_phone="",
        )  # fmt: skip
        await uow.commit()
    buyer = await _account(app.database, "owner.review", Role.OWNER, org.id)
    reviewer = await _account(app.database, "rev.review", Role.OWNER, org.id)
    draft = service_draft(
        avoidance=(),
        method="scored",
        alternates=0,
        method_params={"weights": {"price": "40", "credit": "0", "evaluation": "0", "technical": "60"}},
        review_criteria=CRITERIA,
        review_deadline=REVIEW_DEADLINE,
        selection_time=REVIEW_DEADLINE + timedelta(hours=3),
    )
    async with app.database.unit_of_work() as uow:
        row = await service.create_draft(uow, acting(buyer), buyer, terms_json(draft), PUBLISHED_AT)
        calendar = await Calendars().current(uow)
        await draw_data.publish(
            uow, acting(buyer), buyer, row.id, PUBLISHED_AT, calendar, TERMS,
            vocabulary=VOCABULARY, eligible_count=5, bid_key=app.bid_key,
        )  # fmt: skip
        await uow.commit()
    for n, quote in enumerate(("150000.00", "120000.00", "135000.00")):
        firm = await bidder(app.database, 940_100 + n)
        async with app.database.unit_of_work() as uow:
            await bids.submit(
                uow,
                acting(firm),
                firm,
                app.bid_key,
                row.id,
                amount(quote),
                BEFORE,
                vocabulary=VOCABULARY,
                terms=TERMS,
            )
            await uow.commit()
    return row.id, [buyer.user_id, reviewer.user_id]


async def _advance(app: OwnApp, to: object) -> None:
    app.clock.current = to.astimezone(UTC)  # type: ignore[attr-defined]
    await lifecycle.advance(app.database, app.bid_key, app.clock.now(), vocabulary=VOCABULARY, terms=TERMS)


async def _cell(page: Page, row: int, code: str) -> object:
    return page.locator(f"table.scores tbody tr:nth-child({row}) input[name$='.{code}']")


async def test_reviewers_are_named_score_and_submit_and_the_scores_are_public_after_the_freeze(
    draw_app: OwnApp, browser: Browser
) -> None:
    app = draw_app
    app.clock.current = PUBLISHED_AT.astimezone(UTC)
    procurement_id, (owner_id, reviewer_id) = await _published_scored(app)
    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(3)]
    for context in contexts:
        context.set_default_timeout(15_000)
    try:
        owner, reviewer, visitor = [await c.new_page() for c in contexts]
        # the owner names both of its accounts before the deadline
        reviewers_page = f"/review/{procurement_id}/reviewers"
        await _sign_in(owner, "owner.review", reviewers_page)
        await owner.locator(f"#reviewer-{owner_id}").check()
        await owner.locator(f"#reviewer-{reviewer_id}").check()
        await owner.locator("#reviewers-button").click()
        await expect(owner.locator("#reviewers-saved")).to_be_visible()

        # before the opening the sheet says so and has nothing to score
        sheet_page = f"/review/{procurement_id}"
        await _sign_in(reviewer, "rev.review", sheet_page)
        await expect(reviewer.locator("#sheet-stage")).to_contain_text("尚未开标")

        await _advance(app, DEADLINE)
        await _visit(reviewer, "rev.review", sheet_page)  # signing in again: days have passed
        await expect(reviewer.locator("table.scores tbody tr")).to_have_count(3)
        # out of range: refused beside its cell, what was typed kept, nothing saved
        await (await _cell(reviewer, 1, "plan")).fill("61")  # type: ignore[attr-defined]
        await reviewer.locator("#save-button").click()
        await expect(reviewer.locator("#refusal")).to_contain_text("不符合要求")
        await expect(reviewer.locator("td.has-error input")).to_have_value("61")
        # a complete sheet, submitted
        for row in (1, 2, 3):
            await (await _cell(reviewer, row, "plan")).fill(str(40 + row))  # type: ignore[attr-defined]
            await (await _cell(reviewer, row, "team")).fill("30.5")  # type: ignore[attr-defined]
        await reviewer.locator("#submit-button").click()
        await expect(reviewer.locator("#submitted-note")).to_be_visible()
        await expect(reviewer.locator("#sheet-state")).to_contain_text("提交")
        await expect(reviewer.locator("#submit-button")).to_have_count(0)

        # the owner sees who submitted, not what; the public page shows no score yet
        await _visit(owner, "owner.review", reviewers_page)
        await expect(owner.locator("#reviewer-list")).to_contain_text("已于")
        await expect(owner.locator("#reviewer-list")).not_to_contain_text("30.5")
        await visitor.goto(f"/procurements/{procurement_id}")
        await expect(visitor.locator("#review")).to_contain_text("服务方案")
        await expect(visitor.locator("#review-pending")).to_be_visible()

        # at the review deadline the inputs freeze: the submitted scores are public
        await _advance(app, REVIEW_DEADLINE)
        await visitor.goto(f"/procurements/{procurement_id}")
        await expect(visitor.locator("#review-scores tbody tr")).to_have_count(3)
        await expect(visitor.locator("#review-scores")).to_contain_text("71.50")
        await expect(visitor.locator("#review-left-out")).to_contain_text("owner.review")
        await _visit(reviewer, "rev.review", sheet_page)
        await expect(reviewer.locator("#sheet-stage")).to_contain_text(re.compile("已提交|截止"))
    finally:
        for context in contexts:
            await context.close()
