"""The intermediary's bidding pages over HTTP through the app, signed in with the session
cookie like a browser: the list with its reasons, refusals beside the field with what was
typed kept, submit → receipt → replace → withdraw, re-confirmation after an amendment, a
cancellation told on the receipt, the deadline, CSRF, and that nobody else sees a bid."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import FixedClock
from market.models import Bid, BidVersion, Role
from market.procurement import service
from market.procurement.draft import Avoidance
from market.procurement.draft_input import terms_json
from tests.bidder_pages_data import PASSWORD, TERMS, agency, owner, publish
from tests.conftest import ClonedDatabase
from tests.registry_data import VOCABULARY
from web.state import AppState

Client = AsyncTestClient  # type: ignore[type-arg]
HTML = {"Accept": "text/html"}


async def _sign_in(client: Client, username: str) -> str:
    """Sign in with the cookie, as the pages do; the CSRF token the forms carry."""
    client.cookies.clear()
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(client.cookies["market_csrf"])


async def _world(client: Client, db: ClonedDatabase, clock: FixedClock) -> dict[str, Any]:
    """An owner, two admitted agencies (the second on the avoidance list of one procurement)
    and two published procurements."""
    database = db.database
    now = clock.now()
    owner_principal = await owner(database, "p.owner", 620_001)
    first = await agency(database, 31, "p.agency", now=now)
    second = await agency(database, 32, "p.rival", now=now)
    key = AppState.of(client.app).bid_key()
    open_one = await publish(database, owner_principal, key, now, title="浈江区道路改造工程造价咨询")
    avoiding = await publish(
        database,
        owner_principal,
        key,
        now,
        title="武江区学校改扩建造价咨询",
        avoidance=(Avoidance(first, "与业主存在关联关系"),),
    )
    await publish(
        database,
        owner_principal,
        key,
        now,
        title="曲江区水库除险加固造价咨询",
        requirements={"min_practitioners": 20},
    )
    return {
        "owner": owner_principal,
        "open": open_one.id,
        "avoiding": avoiding.id,
        "first": first,
        "second": second,
    }


def _form(csrf: str, **fields: Any) -> dict[str, str]:
    return {"_csrf_token": csrf, **{k: str(v) for k, v in fields.items()}}


async def _submit(client: Client, csrf: str, procurement: int, quote: str, **extra: Any) -> Any:
    return await client.post(
        "/bidding/submit",
        data=_form(
            csrf, procurement=procurement, mode="amount", quote=quote, idempotency_key="k-" + quote, **extra
        ),
        headers=HTML,
        follow_redirects=False,
    )


def _receipt_path(response: Any) -> str:
    assert response.status_code == 303, response.text[:2000]
    location = str(response.headers["location"])
    assert re.fullmatch(r"/bidding/receipts/\d+", location), location
    return location


async def test_the_list_says_which_procurements_the_firm_may_bid_on_and_why_not(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    world = await _world(client, fresh_database, clock)
    await _sign_in(client, "p.agency")
    response = await client.get("/bidding", headers=HTML)
    assert response.status_code == 200, response.text
    html = response.text
    assert "可参与的采购项目" in html and "浈江区道路改造工程造价咨询" in html
    assert html.count("贵单位现在可以报价") == 1
    assert "贵单位在本项目的回避名单中（回避原因：与业主存在关联关系）" in html
    assert "执业人员 12 人，少于要求的 20 人" in html  # the registries' reason, in Chinese
    assert f'href="/bidding/form?procurement={world["open"]}"' in html
    assert "贵单位尚未报价" in html


async def test_a_quote_above_the_ceiling_is_refused_beside_the_field_and_kept(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    world = await _world(client, fresh_database, clock)
    csrf = await _sign_in(client, "p.agency")
    form = await client.get(f"/bidding/form?procurement={world['open']}", headers=HTML)
    assert form.status_code == 200 and "报价金额（元）" in form.text and "¥180,000.00" in form.text
    response = await client.post(
        "/bidding/review",
        data=_form(csrf, procurement=world["open"], mode="amount", quote="190,000"),
        headers=HTML,
    )
    assert response.status_code == 422
    assert 'value="190,000"' in response.text
    assert "报价 ¥190,000.00 高于最高限价 ¥180,000.00" in response.text
    wrong = await client.post(
        "/bidding/review",
        data=_form(csrf, procurement=world["open"], mode="amount", quote="十万"),
        headers=HTML,
    )
    assert wrong.status_code == 422 and "“十万”不是数字" in wrong.text and 'value="十万"' in wrong.text
    rate = await client.post(
        "/bidding/review",
        data=_form(csrf, procurement=world["open"], mode="discount_rate", quote="5"),
        headers=HTML,
    )
    assert rate.status_code == 422 and "本项目的报价方式已是“报价金额（元）”" in rate.text
    # nothing was written by any of it
    async with fresh_database.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Bid)) == 0


async def test_submit_receipt_replace_and_withdraw(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    world = await _world(client, fresh_database, clock)
    clock.advance(hours=2)
    csrf = await _sign_in(client, "p.agency")
    review = await client.post(
        "/bidding/review",
        data=_form(csrf, procurement=world["open"], mode="amount", quote="150000"),
        headers=HTML,
    )
    assert review.status_code == 200 and "人民币壹拾伍万元整" in review.text and "确认提交报价" in review.text
    receipt_path = _receipt_path(await _submit(client, csrf, world["open"], "150000"))
    page = await client.get(receipt_path, headers=HTML)
    assert page.status_code == 200
    digest = re.search(r'id="receipt-digest" class="digest">([0-9a-f]{64})<', page.text)
    assert digest is not None and "第 1 版" in page.text and "2026-11-02 11:00:00" in page.text
    assert "150000" not in page.text and "150,000" not in page.text  # the receipt never repeats the quote
    async with fresh_database.database.sessions() as session:
        assert await session.scalar(select(BidVersion.digest)) == digest.group(1)
    download = await client.get(f"{receipt_path}/download")
    assert download.status_code == 200 and digest.group(1) in download.text
    assert "attachment" in download.headers["content-disposition"]

    bid_id = receipt_path.rsplit("/", 1)[1]
    listed = await client.get("/bidding", headers=HTML)
    assert "已报价（第 1 版）" in listed.text
    replaced = _receipt_path(await _submit(client, csrf, world["open"], "140000", bid=bid_id))
    assert replaced == receipt_path
    assert "第 2 版" in (await client.get(receipt_path, headers=HTML)).text
    # a form made before the bid existed can no longer add a second one
    stale = await _submit(client, csrf, world["open"], "130000")
    assert stale.status_code == 409 and "页面内容已过期" in stale.text

    asked = await client.get(f"/bidding/withdraw?bid={bid_id}", headers=HTML)
    assert asked.status_code == 200 and "确认撤回" in asked.text
    gone = await client.post(
        "/bidding/withdraw", data=_form(csrf, bid=bid_id, confirmed=1), follow_redirects=False
    )
    assert gone.status_code == 303
    after = await client.get(receipt_path, headers=HTML)
    assert "已撤回" in after.text and "重新报价" in after.text
    async with fresh_database.database.sessions() as session:
        bid = await session.get(Bid, int(bid_id))
        assert bid is not None and bid.withdrawn_at is not None and bid.current_version == 2


async def test_another_firm_and_officials_see_nothing_of_a_bid(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock, make_user: Any
) -> None:
    world = await _world(client, fresh_database, clock)
    csrf = await _sign_in(client, "p.agency")
    receipt_path = _receipt_path(await _submit(client, csrf, world["open"], "150000"))
    bid_id = receipt_path.rsplit("/", 1)[1]

    rival_csrf = await _sign_in(client, "p.rival")
    listed = await client.get("/bidding", headers=HTML)
    assert listed.status_code == 200 and "已报价" not in listed.text and "贵单位尚未报价" in listed.text
    assert (await client.get(receipt_path, headers=HTML)).status_code == 404
    assert (await client.get(f"/bidding/withdraw?bid={bid_id}", headers=HTML)).status_code == 404
    refused = await client.post("/bidding/withdraw", data=_form(rival_csrf, bid=bid_id, confirmed=1))
    assert refused.status_code == 404
    form = await client.get(f"/bidding/form?procurement={world['open']}", headers=HTML)
    assert form.status_code == 200 and "我的报价" not in form.text and receipt_path not in form.text

    for name, role in (("p.super", Role.SUPERVISOR), ("p.admin", Role.ADMIN)):
        await make_user(name, role)
    for name in ("p.owner", "p.super", "p.admin"):
        await _sign_in(client, name)
        for path in ("/bidding", receipt_path, f"/bidding/form?procurement={world['open']}"):
            response = await client.get(path, headers=HTML)
            assert response.status_code == 403, (name, path)
            assert "无权操作" in response.text


async def test_forms_without_the_csrf_token_are_refused(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    world = await _world(client, fresh_database, clock)
    await _sign_in(client, "p.agency")
    for path in ("/bidding/review", "/bidding/submit"):
        response = await client.post(
            path, data={"procurement": str(world["open"]), "mode": "amount", "quote": "150000"}
        )
        assert response.status_code == 403 and "csrf-token-invalid" in response.text
    async with fresh_database.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Bid)) == 0


async def test_an_amendment_asks_for_reconfirmation_and_a_cancellation_is_told_on_the_receipt(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    world = await _world(client, fresh_database, clock)
    csrf = await _sign_in(client, "p.agency")
    receipt_path = _receipt_path(await _submit(client, csrf, world["open"], "150000"))
    bid_id = receipt_path.rsplit("/", 1)[1]
    owner = world["owner"]
    actor = Actor(owner.user_id, owner.username, "192.0.2.1")
    database = fresh_database.database
    async with database.unit_of_work() as uow:
        row = await service.load(uow, owner, world["open"])
        amended = terms_json(service.stored_terms(row))
        amended["ceiling"] = "170000.00"
        calendar = await Calendars().current(uow)
        await service.amend(
            uow,
            actor,
            owner,
            row.id,
            amended,
            clock.now(),
            calendar,
            TERMS,
            reason="最高限价调整",
            vocabulary=VOCABULARY,
        )
        await uow.commit()
    form = await client.get(f"/bidding/form?procurement={world['open']}", headers=HTML)
    assert "请重新确认报价" in form.text and "变更原因：最高限价调整" in form.text
    assert "变更了最高限价" in form.text and "#amendments" in form.text
    assert "需重新确认" in (await client.get("/bidding", headers=HTML)).text
    confirmed = await client.post("/bidding/reconfirm", data=_form(csrf, bid=bid_id), follow_redirects=False)
    assert confirmed.status_code == 303
    assert "需重新确认" not in (await client.get(receipt_path, headers=HTML)).text

    async with database.unit_of_work() as uow:
        await service.cancel(uow, actor, owner, world["open"], clock.now(), reason="项目资金未落实")
        await uow.commit()
    told = await client.get(receipt_path, headers=HTML)
    assert "项目已终止" in told.text and "项目资金未落实" in told.text
    listed = await client.get("/bidding", headers=HTML)
    assert "已截止或已终止的项目" in listed.text and "项目资金未落实" in listed.text


async def test_at_the_deadline_the_form_says_bidding_closed(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    world = await _world(client, fresh_database, clock)
    clock.current += timedelta(days=21, hours=2)  # 10:00 China time, three weeks on: the deadline
    csrf = await _sign_in(client, "p.agency")
    response = await _submit(client, csrf, world["open"], "150000")
    assert response.status_code == 409
    assert "报价已于 2026-11-23 10:00（北京时间）截止" in response.text
    assert "报价已截止" in response.text and 'id="bid-form"' not in response.text
    async with fresh_database.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Bid)) == 0


async def test_the_bid_pages_log_neither_user_nor_address_nor_procurement(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock, caplog: Any
) -> None:
    world = await _world(client, fresh_database, clock)
    csrf = await _sign_in(client, "p.agency")
    caplog.set_level("INFO", logger="market.request")
    await client.get(f"/bidding/form?procurement={world['open']}", headers=HTML)
    receipt_path = _receipt_path(await _submit(client, csrf, world["open"], "150000"))
    await client.get(receipt_path, headers=HTML)
    await client.get("/bidding", headers=HTML)
    lines = [
        r for r in caplog.records if getattr(r, "event", None) == "request" and r.path.startswith("/bidding")
    ]
    # the procurement travels in the query string or the form, which are never logged
    assert {r.path for r in lines} == {"/bidding/form", "/bidding/submit", receipt_path, "/bidding"}
    for line in lines:
        assert line.user_id is None and line.client is None, line.__dict__
