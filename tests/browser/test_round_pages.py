"""流标 and after in a real browser: the owner re-publishes a failed procurement from its page
(the next attempt's draft opens), and after a second failure asks for direct selection (an
empty reason is refused beside its field); a supervisor's page refuses a rejection without a
note, rejects with one, and approves the request asked again; the public page of the directly
selected attempt shows its place in the chain, the reason and the approval."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts, lifecycle
from market.audit import Actor
from market.db import Database
from market.models import OrganisationKind, Procurement, Role
from market.principal import Principal
from market.procurement import service
from market.procurement.draft_input import terms_json
from market.settings import AuthSettings
from tests import draw_data
from tests.bid_data import CALENDARS, DEADLINE, PUBLISHED_AT, TERMS, acting, bidder
from tests.browser.conftest import PASSWORD
from tests.browser.own_app import OwnApp, own_app, sign_in
from tests.conftest import PgServer
from tests.registry_data import VOCABULARY, uscc
from tests.unit.procurement.conftest import service_draft

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
async def rounds_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    async with own_app(test_server, tmp_path_factory, "r", PUBLISHED_AT, auth=AuthSettings(session_hours=24 * 60)) as app:
        yield app


async def _account(database: Database, username: str, role: Role, organisation: int | None) -> Principal:
    async with database.unit_of_work() as uow:
        user = await accounts.create_user(
            uow, Actor.system("test"), username=username, display_name=username, password=PASSWORD,
            roles=[role], organisation_id=organisation, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    return Principal(user.id, username, username, frozenset({role}), organisation)


async def _publish(app: OwnApp, buyer: Principal, procurement_id: int) -> None:
    async with app.database.unit_of_work() as uow:
        await draw_data.publish(
            uow, acting(buyer), buyer, procurement_id, app.clock.now(), await CALENDARS.current(uow), TERMS,
            vocabulary=VOCABULARY, eligible_count=5, bid_key=app.bid_key,
        )  # fmt: skip
        await uow.commit()


async def _fail_at_deadline(app: OwnApp, procurement_id: int) -> None:
    """Nobody bid: at the deadline the lifecycle fails it (流标)."""
    async with app.database.sessions() as session:
        row = await session.get(Procurement, procurement_id)
        assert row is not None and row.bid_deadline is not None
        deadline = row.bid_deadline
    app.clock.current = deadline.astimezone(UTC)
    await lifecycle.advance(app.database, app.bid_key, app.clock.now(), vocabulary=VOCABULARY, terms=TERMS)
    async with app.database.sessions() as session:
        row = await session.get(Procurement, procurement_id)
        assert row is not None and row.status.value == "failed"
    app.clock.current = (deadline + timedelta(hours=1)).astimezone(UTC)


async def _sign_in(page: Page, username: str, path: str) -> None:
    await sign_in(page, username, at=path, lands=re.escape(path) + r"(\?.*)?$")


async def test_re_publication_and_direct_selection_through_the_pages(
    rounds_app: OwnApp, browser: Browser
) -> None:
    app = rounds_app
    async with app.database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow, Actor.system("test"), kind=OrganisationKind.OWNER, name="韶关市流标测试业主单位",
            uscc=uscc(940_001), address="韶关市", contact_phone="",
        )  # fmt: skip
        await uow.commit()
    buyer = await _account(app.database, "owner.rounds", Role.OWNER, org.id)
    await _account(app.database, "supervisor.rounds", Role.SUPERVISOR, None)
    firms = [await bidder(app.database, 940_100 + n) for n in range(3)]
    chosen = firms[1].organisation_uscc
    assert chosen is not None
    async with app.database.unit_of_work() as uow:
        draft = terms_json(service_draft(avoidance=()))
        first = await service.create_draft(uow, acting(buyer), buyer, draft, app.clock.now())
        await uow.commit()
    await _publish(app, buyer, first.id)
    await _fail_at_deadline(app, first.id)
    assert app.clock.now() > DEADLINE

    contexts = [await browser.new_context(base_url=app.url, locale="zh-CN") for _ in range(3)]
    for context in contexts:
        context.set_default_timeout(15_000)
    try:
        owner, supervisor, visitor = [await c.new_page() for c in contexts]
        # the failed procurement's page leads to what may follow it
        await _sign_in(owner, "owner.rounds", f"/my/procurements/{first.id}/rounds")
        await owner.goto(f"/procurements/{first.id}")
        await owner.locator("#rounds-link").click()
        await expect(owner.locator("#failed-count")).to_have_text("1")
        await expect(owner.locator("#too-few")).to_contain_text("尚未满 2 次流标")
        await owner.locator("#republish-button").click()
        await expect(owner).to_have_url(re.compile(r"/my/procurements/\d+/edit\?saved=1$"))
        await expect(owner.locator("#status")).to_have_text("草稿")
        second_id = int(re.findall(r"/my/procurements/(\d+)/edit", owner.url)[0])
        await owner.goto(f"/my/procurements/{first.id}/rounds")
        await expect(owner.locator("#has-successor")).to_contain_text("第 2 次采购")

        await _publish(app, buyer, second_id)
        await _fail_at_deadline(app, second_id)
        rounds = f"/my/procurements/{second_id}/rounds"
        await owner.goto(rounds)
        await expect(owner.locator("#failed-count")).to_have_text("2")
        await expect(owner.locator("#attempts .attempt-earlier")).to_have_count(1)
        await owner.locator("#in-uscc").fill(chosen)
        await owner.locator("#direct-button").click()
        await expect(owner.locator("#field-reason .field-error")).to_contain_text(
            "请说明直接选取该企业的理由"
        )
        await expect(owner.locator("#in-uscc")).to_have_value(chosen)
        await owner.locator("#in-reason").fill("两次流标，该企业熟悉本项目前期资料")
        await owner.locator("#direct-button").click()
        await expect(owner.locator("#sent")).to_be_visible()
        await expect(owner.locator("#pending-note")).to_be_visible()

        # the supervisor: a rejection needs a note
        await _sign_in(supervisor, "supervisor.rounds", "/supervision/direct-requests")
        request = supervisor.locator("article.direct-request")
        await expect(request).to_have_count(1)
        await request.get_by_role("button", name="驳回").click()
        await expect(supervisor.locator("#refusal")).to_contain_text("驳回须说明理由")
        await supervisor.locator("article.direct-request textarea").fill("理由不充分，请补充该企业的专业优势")
        await supervisor.locator("article.direct-request").get_by_role("button", name="驳回").click()
        await expect(supervisor.locator("#done")).to_contain_text("已驳回")
        await expect(supervisor.locator("#none-pending")).to_be_visible()

        # asked again, approved
        await owner.goto(rounds)
        await expect(owner.locator("#requests")).to_contain_text("理由不充分")
        await owner.locator("#in-uscc").fill(chosen)
        await owner.locator("#in-reason").fill("两次流标；该企业具备甲级资质且熟悉前期资料")
        await owner.locator("#direct-button").click()
        await expect(owner.locator("#sent")).to_be_visible()
        await supervisor.goto("/supervision/direct-requests")
        await supervisor.locator("article.direct-request textarea").fill("同意")
        await supervisor.locator("article.direct-request").get_by_role("button", name="批准").click()
        await expect(supervisor.locator("#done")).to_contain_text("已批准")

        # anyone sees the directly selected third attempt, its reason and its approval
        await visitor.goto(f"/procurements/{second_id}")
        await expect(visitor.locator("#next-attempt")).to_contain_text("第 3 次")
        await visitor.locator("#next-attempt a").click()
        await expect(visitor.locator("#status")).to_have_text("已选取")
        await expect(visitor.locator("#attempt")).to_have_text("3")
        decision = visitor.locator("#direct-decision")
        await expect(decision).to_contain_text("甲级资质")
        await expect(decision).to_contain_text("同意")
        await expect(visitor.locator("#direct-record")).to_have_attribute("href", re.compile(r"/record$"))
    finally:
        for context in contexts:
            await context.close()
