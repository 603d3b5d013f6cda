"""The draw ceremony's pages in a real browser: the commitment the page's WebCrypto makes is
byte for byte the one ``selection.ceremony.commitment`` makes; and a whole draw through the
pages — the owner's secret made in the browser and kept as a file, the publication with its
commitment, a supervisor's commitment, the reveal (too early, mismatched, right, twice), the
beacon (wrong form, right form) and the public record re-computed offline — on an app whose
clock the test moves, running the lifecycle's steps itself at the times they are due."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from market import accounts, lifecycle
from market.audit import Actor
from market.bidding import service as bids
from market.db import Database
from market.draw import steps
from market.models import OrganisationKind, Procurement, Role
from market.principal import Principal
from market.procurement import service
from market.procurement.draft_input import terms_json
from market.settings import AuthSettings
from selection.ceremony import commitment
from tests.bid_data import DEADLINE, PUBLISHED_AT, TERMS, acting, amount, bidder
from tests.browser.conftest import PASSWORD, LiveApp
from tests.browser.own_app import OwnApp, own_app, sign_in
from tests.conftest import PgServer
from tests.registry_data import VOCABULARY, uscc
from tests.unit.procurement.conftest import service_draft

LOTTERY = "中国福利彩票3D 第2026318期"
ROOT = Path(__file__).resolve().parents[2]  # where `selection` is, as an auditor's copy would be

pytestmark = pytest.mark.browser

CASES = [
    ("SGZJ-2026-0001", 1, "owner", "00" * 32),
    ("SGZJ-2026-12345", 2, "supervisor", "0123456789abcdef" * 4),
    ("SGXE-2031-0420", 17, "platform", "f" * 64),
]


async def _with_draw_js(page: Page) -> None:
    await page.goto("/procurements")
    await page.add_script_tag(url="/static/draw.js")  # a same-origin script, as the CSP allows


async def test_the_page_commitment_is_the_specified_bytes(page: Page, live_app: LiveApp) -> None:
    await _with_draw_js(page)
    for reference, round_number, role, secret in CASES:
        made = await page.evaluate(
            "([r, n, role, s]) => window.marketDraw.commitment(r, n, role, s)",
            [reference, round_number, role, secret],
        )
        assert made == commitment(reference, round_number, role, secret)
    # a secret made by the browser: 64 lowercase hex digits, and its commitment agrees too
    secret = await page.evaluate("() => window.marketDraw.newSecret()")
    assert len(secret) == 64 and set(secret) <= set("0123456789abcdef")
    made = await page.evaluate("(s) => window.marketDraw.commitment('SGZJ-2026-0007', 1, 'owner', s)", secret)
    assert made == commitment("SGZJ-2026-0007", 1, "owner", secret)


async def test_the_reveal_page_reads_the_secret_from_the_command_s_output(
    page: Page, live_app: LiveApp
) -> None:
    printed = subprocess.run(
        [sys.executable, "-S", "-m", "selection.secret", "--reference", "SGZJ-2026-0001", "--round", "1",
         "--role", "owner"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    secret = printed.split("\n")[0].split()[1]
    await _with_draw_js(page)
    assert await page.evaluate("(t) => window.marketDraw.secretOfFile(t)", printed) == secret
    assert await page.evaluate("(t) => window.marketDraw.secretOfFile(t)", f"\n{secret}\n") == secret
    assert await page.evaluate("(t) => window.marketDraw.secretOfFile(t)", "secret 371") == ""


# -- the whole ceremony through the pages, on an app whose clock the test moves ---------------


@pytest.fixture(scope="module")
async def draw_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnApp]:
    # its own database and server: the shared live app runs on the system clock, this one on a
    # FixedClock the test moves across the deadline, the reveal window and the selection
    async with own_app(test_server, tmp_path_factory, "dr", PUBLISHED_AT) as app:
        yield app


async def _account(database: Database, username: str, role: Role, organisation: int | None) -> Principal:
    async with database.unit_of_work() as uow:
        user = await accounts.create_user(
            uow, Actor.system("test"), username=username, display_name=username, password=PASSWORD,
            roles=[role], organisation_id=organisation, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    return Principal(user.id, username, username, frozenset({role}), organisation)


async def _draft_with_bidders(app: OwnApp) -> tuple[int, list[Principal]]:
    """An owner account (owner.draw), a supervisor (supervisor.draw), four admitted cost
    consultants and the owner's draft (bids close 2026-11-09 10:00, selection 15:00)."""
    async with app.database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow, Actor.system("test"), kind=OrganisationKind.OWNER, name="韶关市抽取测试业主单位",
            uscc=uscc(930_001), address="韶关市", contact_phone="",
        )  # fmt: skip
        await uow.commit()
    buyer = await _account(app.database, "owner.draw", Role.OWNER, org.id)
    await _account(app.database, "supervisor.draw", Role.SUPERVISOR, None)
    firms = [await bidder(app.database, 930_100 + n) for n in range(4)]
    async with app.database.unit_of_work() as uow:
        draft = terms_json(service_draft(avoidance=()))
        row = await service.create_draft(uow, acting(buyer), buyer, draft, app.clock.now())
        await uow.commit()
    return row.id, firms


async def _sign_in(page: Page, username: str, path: str) -> None:
    await sign_in(page, username, at=path, lands=re.escape(path) + r"(\?.*)?(#.*)?$")


async def _visit(page: Page, username: str, path: str) -> None:
    """Open ``path``, signing in again when the session ran out while the clock moved."""
    await page.goto(path)
    if "/login" in page.url:
        await _sign_in(page, username, path)


async def _make_secret(page: Page, tmp_path: Path, name: str) -> tuple[str, Path]:
    """The page's secret: made, shown, downloaded and acknowledged; the file as kept."""
    await page.locator("#make-secret").click()
    await expect(page.locator(".secret-made")).to_be_visible()
    await expect(page.locator(".secret-made .warning")).to_contain_text("平台不保存")
    secret = await page.locator("#secret-shown").input_value()
    async with page.expect_download() as downloading:
        await page.locator("#secret-download").click()
    kept = tmp_path / name
    await (await downloading.value).save_as(kept)
    await page.locator("#secret-kept").check()
    return secret, kept


async def _advance(app: OwnApp, to: datetime, *steps_to_run: str) -> None:
    app.clock.current = to.astimezone(UTC)
    if "open" in steps_to_run:
        await lifecycle.advance(
            app.database, app.bid_key, app.clock.now(), vocabulary=VOCABULARY, terms=TERMS
        )
    async with app.database.unit_of_work() as uow:
        row = await uow.session.get(Procurement, app.procurement_id)  # type: ignore[attr-defined]
        assert row is not None
        step = steps.freeze if "freeze" in steps_to_run else steps.select
        await step(uow, app.bid_key, row, app.clock.now(), vocabulary=VOCABULARY, terms=TERMS)
        await uow.commit()


async def test_a_draw_from_the_owner_s_commitment_to_the_record_through_the_pages(
    draw_app: OwnApp, browser: Browser, tmp_path: Path
) -> None:
    app = draw_app
    procurement_id, firms = await _draft_with_bidders(app)
    app.procurement_id = procurement_id  # type: ignore[attr-defined]
    owner_context = await browser.new_context(base_url=app.url, locale="zh-CN", accept_downloads=True)
    supervisor_context = await browser.new_context(base_url=app.url, locale="zh-CN", accept_downloads=True)
    visitor_context = await browser.new_context(base_url=app.url, locale="zh-CN")
    for context in (owner_context, supervisor_context, visitor_context):
        context.set_default_timeout(15_000)
    try:
        owner, supervisor, visitor = (
            await owner_context.new_page(),
            await supervisor_context.new_page(),
            await visitor_context.new_page(),
        )
        # the publish step first reserves the reference the commitment binds
        edit = f"/my/procurements/{procurement_id}/edit"
        await _sign_in(owner, "owner.draw", edit)
        await owner.locator("#reserve-button").click()
        reference = await owner.locator("#reserved-reference").inner_text()
        assert re.fullmatch(r"SGZJ-2026-\d{4}", reference)
        await expect(owner.locator("#secret-command")).to_have_text(
            f"python -S -m selection.secret --reference {reference} --round 1 --role owner"
        )
        # publishing without a commitment: the problem beside the commitment, nothing published
        await owner.locator("#in-beacon_reference").fill(LOTTERY)
        await owner.locator("#publish-button").click()
        await expect(owner.locator("#field-owner_commitment .field-error")).to_contain_text(
            "64 lowercase hex"
        )
        await expect(owner.locator("#in-beacon_reference")).to_have_value(LOTTERY)

        # the browser makes the secret; only the commitment goes into the form
        owner_secret, owner_file = await _make_secret(owner, tmp_path, "owner-secret.txt")
        expected = commitment(reference, 1, "owner", owner_secret)
        await expect(owner.locator("#in-commitment")).to_have_value(expected)
        kept = owner_file.read_text(encoding="utf-8")
        assert f"secret     {owner_secret}\n" in kept and f"commitment {expected}\n" in kept
        assert f"reference  {reference}\n" in kept
        await owner.locator("#publish-button").click()
        await expect(owner.locator("#status")).to_have_text("已发布")
        owner_row = owner.locator("#commitments tr[data-party=owner]")
        await expect(owner_row).to_contain_text(expected)
        await expect(owner.locator("#ceremony")).not_to_contain_text(owner_secret)

        # before the freeze the reveal page says the window is not open, and refuses
        await owner.goto(f"/draw/{procurement_id}/reveal")
        await expect(owner.locator("#reveal-stage")).to_contain_text("揭示窗口尚未开放")
        await owner.locator("#in-secret").fill(owner_secret)
        await owner.locator("#reveal-button").click()
        await expect(owner.locator("#refusal")).to_contain_text("揭示窗口尚未开放")

        # a supervisor adds a commitment before the deadline, with the same helper
        await _sign_in(supervisor, "supervisor.draw", f"/draw/{procurement_id}/commit")
        supervisor_secret, _ = await _make_secret(supervisor, tmp_path, "supervisor-secret.txt")
        await supervisor.locator("#commit-button").click()
        await expect(supervisor.locator("#committed-note")).to_be_visible()

        for n, firm in enumerate(firms):
            async with app.database.unit_of_work() as uow:
                await bids.submit(
                    uow, acting(firm), firm, app.bid_key, procurement_id, amount(f"{150000 + 1000 * n}.00"),
                    app.clock.now(), vocabulary=VOCABULARY, terms=TERMS,
                )  # fmt: skip
                await uow.commit()

        # the deadline: opened and frozen; the owner reveals from the kept file
        await _advance(app, DEADLINE, "open", "freeze")
        await _advance_clock(app, DEADLINE + timedelta(minutes=1))  # reveals come after the freeze
        await _visit(owner, "owner.draw", f"/draw/{procurement_id}/reveal")
        await expect(owner.locator("#reveal-stage")).to_contain_text("揭示窗口已开放")
        await owner.locator("#in-secret").fill(supervisor_secret)  # the wrong one
        await owner.locator("#reveal-button").click()
        await expect(owner.locator("#field-secret .field-error")).to_contain_text("与承诺值不符")
        await owner.locator("#in-secret-file").set_input_files(owner_file)
        await expect(owner.locator("#in-secret")).to_have_value(owner_secret)
        await expect(owner.locator(".reveal-status")).to_contain_text("与承诺值一致")
        await owner.locator("#reveal-button").click()
        await expect(owner.locator("#revealed-note")).to_be_visible()
        await owner.locator("#in-secret").fill(owner_secret)
        await owner.locator("#reveal-button").click()  # a second reveal
        await expect(owner.locator("#refusal")).to_contain_text("不能再次揭示")

        # while the window is open the public page names no secret
        await visitor.goto(f"/procurements/{procurement_id}")
        await expect(visitor.locator("#freeze-configuration")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        await expect(visitor.locator("#reveals-pending")).to_contain_text("已揭示 2 方")
        await expect(visitor.locator("#ceremony")).not_to_contain_text(owner_secret)

        # after the reveal deadline: the beacon, in its declared form only
        await _advance_clock(app, DEADLINE + timedelta(hours=4, minutes=10))
        await _visit(supervisor, "supervisor.draw", f"/draw/{procurement_id}/beacon")
        await expect(supervisor.locator("#beacon-stage")).to_contain_text("揭示窗口已关闭")
        await supervisor.locator("#in-value").fill("3 7 1")
        await supervisor.locator("#beacon-button").click()
        await expect(supervisor.locator("#field-value .field-error")).to_contain_text("格式不符")
        await expect(supervisor.locator("#in-value")).to_have_value("3 7 1")
        await supervisor.locator("#in-value").fill("371")
        await supervisor.locator("#beacon-button").click()
        await expect(supervisor.locator("#beacon-note")).to_be_visible()

        # the selection time: the record, its digest, the download and the command
        await _advance(app, DEADLINE + timedelta(hours=5), "select")
        await visitor.goto(f"/procurements/{procurement_id}")
        await expect(visitor.locator("#status")).to_have_text("已选取")
        await expect(visitor.locator("#reveals tr[data-party=owner]")).to_contain_text(owner_secret)
        await expect(visitor.locator("#reveals tr[data-party=supervisor]")).to_contain_text("未揭示")
        await expect(visitor.locator("#beacon-value")).to_have_text("371")
        digest = await visitor.locator("#record-digest").inner_text()
        command = await visitor.locator("#verify-command").inner_text()
        assert command.startswith("python -S -m selection.verify --frozen configuration=")
        assert command.endswith(" record.json")
        winner = await visitor.locator("#winners a").first.inner_text()
        assert winner in {f.organisation_uscc for f in firms}
        record = await visitor.request.get(
            await visitor.locator("#record-download").get_attribute("href") or ""
        )
        body = await record.body()
        assert hashlib.sha256(body).hexdigest() == digest
        (tmp_path / "record.json").write_bytes(body)
        verified = subprocess.run(
            [sys.executable, *command.split()[1:]], cwd=tmp_path, capture_output=True, text=True,
            env={"PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        for context in (owner_context, supervisor_context, visitor_context):
            await context.close()


async def _advance_clock(app: OwnApp, to: datetime) -> None:
    app.clock.current = to.astimezone(UTC)
