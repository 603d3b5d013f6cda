"""The registry's pages over HTTP through the app: the directory lists what is published,
filters and pages keep their filters, bad filters and unknown firms are Chinese pages, and
a firm's page shows its licences, track records and misconduct but not its contact to the
public."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar.testing import AsyncTestClient

from market.clock import FixedClock
from market.models import FirmStatus, MisconductSeverity, Role
from market.registry import admission, credit, firms
from market.registry.records import firm_input
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD
from tests.registry_data import ADMIN, NOW, VOCABULARY, admitted_firm, contractor, intermediary

Client = AsyncTestClient  # type: ignore[type-arg]
HTML = {"Accept": "text/html"}


def _firm_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/firms/(\d+)">', html)]


def _next_link(html: str) -> str:
    links = re.findall(r'<a href="(/firms\?[^"]+)" rel="next">下一页</a>', html)
    assert len(links) == 1, html
    return str(links[0]).replace("&amp;", "&")


async def _applied_firm(db: ClonedDatabase, raw: dict[str, Any]) -> int:
    async with db.database.unit_of_work() as uow:
        firm = await firms.apply(uow, ADMIN, firm_input(VOCABULARY, raw), now=NOW, vocabulary=VOCABULARY)
        await uow.commit()
        return firm.id


async def _sign_in_with_cookie(client: Client, username: str) -> None:
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert client.cookies.get("market_session")


async def test_directory_lists_admitted_firms_in_chinese(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    builder = await admitted_firm(fresh_database.database, contractor(1))
    agency = await admitted_firm(fresh_database.database, intermediary(2))
    applicant = await _applied_firm(fresh_database, contractor(3))

    response = await client.get("/firms", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "企业名录" in html and "共 2 家" in html
    assert sorted(_firm_links(html)) == sorted([builder, agency]) and applicant not in _firm_links(html)
    for text in (
        "韶关市测试建筑工程有限公司1",
        "广东测试工程造价咨询有限公司2",
        "小额工程企业库",
        "中介机构库",
    ):
        assert text in html
    assert "浈江区" in html and "房屋建筑和市政工程" in html and "已入库" in html
    assert '<label for="f-q">名称或统一社会信用代码</label>' in html
    assert 'name="status"' not in html  # the status filter is for officials


async def test_directory_filters_by_division_and_work_field(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    db = fresh_database.database
    zhenjiang_housing = await admitted_firm(db, contractor(11))
    await admitted_firm(db, contractor(12, division_code="武江区"))
    await admitted_firm(db, contractor(13, work_fields=["water"], licences=[]))

    by_division = await client.get("/firms", params={"division": "440204"}, headers=HTML)
    assert by_division.status_code == 200
    assert "共 2 家" in by_division.text and '<option value="440204" selected>' in by_division.text

    both = await client.get("/firms", params={"division": "440204", "work_field": "housing_municipal"})
    assert both.status_code == 200
    assert _firm_links(both.text) == [zhenjiang_housing] and "共 1 家" in both.text


async def test_pagination_links_keep_the_filters(client: Client, fresh_database: ClonedDatabase) -> None:
    db = fresh_database.database
    for serial in range(21, 26):
        await admitted_firm(db, contractor(serial))
    await admitted_firm(db, intermediary(30))

    first = await client.get("/firms", params={"kind": "contractor", "per_page": "2", "sort": "credit"})
    assert first.status_code == 200 and "共 5 家" in first.text and len(_firm_links(first.text)) == 2
    second_link = _next_link(first.text)
    assert parse_qs(urlsplit(second_link).query) == {
        "kind": ["contractor"],
        "sort": ["credit"],
        "per_page": ["2"],
        "page": ["2"],
    }

    second = await client.get(second_link)
    last = await client.get(_next_link(second.text))
    assert last.status_code == 200
    assert len(_firm_links(last.text)) == 1 and 'aria-current="page">3<' in last.text
    assert 'rel="next"' not in last.text
    seen = _firm_links(first.text) + _firm_links(second.text) + _firm_links(last.text)
    assert len(set(seen)) == 5
    assert "广东测试工程造价咨询" not in last.text  # still only contractors


async def test_a_bad_sort_is_a_422_page_in_chinese(client: Client) -> None:
    response = await client.get("/firms", params={"sort": "price"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "排序方式只能是" in response.text and "信用分从高到低" in response.text
    assert "sort is one of" not in response.text

    division = await client.get("/firms", params={"division": "火星"})
    assert division.status_code == 422 and "注册地“火星”不是韶关市的县级行政区划" in division.text
    credit_page = await client.get("/firms", params={"min_credit": "很高"})
    assert credit_page.status_code == 422 and "最低信用分" in credit_page.text
    for not_a_score in ("Infinity", "NaN"):
        response = await client.get("/firms", params={"min_credit": not_a_score})
        assert response.status_code == 422 and "最低信用分" in response.text
    page = await client.get("/firms", params={"page": "two"})
    assert page.status_code == 422 and "页码" in page.text


async def test_the_public_may_not_list_firms_awaiting_review(client: Client) -> None:
    response = await client.get("/firms", params={"status": "applied"})
    assert response.status_code == 422 and "须由管理人员登录" in response.text


async def test_officials_signed_in_by_cookie_filter_by_status(
    client: Client, fresh_database: ClonedDatabase, make_user: Any
) -> None:
    await admitted_firm(fresh_database.database, contractor(41))
    applicant = await _applied_firm(fresh_database, contractor(42))
    await make_user("supervisor1", Role.SUPERVISOR)
    await _sign_in_with_cookie(client, "supervisor1")

    response = await client.get("/firms", params={"status": "applied"})
    assert response.status_code == 200
    assert _firm_links(response.text) == [applicant] and "待审核" in response.text
    assert '<option value="applied" selected>待审核</option>' in response.text


async def test_firm_page_shows_the_published_record(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    now = clock.now()
    today = now.date()
    raw = contractor(
        51,
        contact_phone="0751-7654321",
        contact_email="office@example.cn",
        licences=[
            {
                "licence_type": "building_gc",
                "grade": "三级",
                "number": "D344020000051",
                "issuer": "韶关市住房和城乡建设管理局",
                "valid_until": "2028-12-31",
            },
            {
                "licence_type": "municipal_gc",
                "grade": "三级",
                "number": "D344020000052",
                "issuer": "韶关市住房和城乡建设管理局",
                "valid_until": (today - timedelta(days=3)).isoformat(),
            },
            {
                "licence_type": "safety_permit",
                "grade": "",
                "number": "(粤)JZ安许证字[2023]000051",
                "issuer": "广东省住房和城乡建设厅",
                "valid_until": (today + timedelta(days=10)).isoformat(),
            },
        ],
        track_records=[
            {
                "project": "浈江区解放路人行道改造工程",
                "owner_name": "韶关市浈江区住房和城乡建设管理局",
                "contract_value": "1250000",
                "completed_on": "2025-06-30",
                "field_code": "housing_municipal",
            }
        ],
    )
    firm_id = await admitted_firm(fresh_database.database, raw, now=now - timedelta(days=30))
    async with fresh_database.database.unit_of_work() as uow:
        await credit.record_misconduct(
            uow,
            ADMIN,
            firm_id,
            severity=MisconductSeverity.SEVERE,
            description="串通投标",
            occurred_on=today - timedelta(days=20),
            reference="韶公管〔2026〕12号",
            now=now - timedelta(days=2),
            policy=VOCABULARY.credit,
        )
        await uow.commit()

    response = await client.get(f"/firms/{firm_id}")
    assert response.status_code == 200
    html = response.text
    assert "韶关市测试建筑工程有限公司51" in html and "资质证书" in html
    assert "已过期" in html and "30 天内到期" in html
    assert "¥1,250,000.00" in html and "浈江区解放路人行道改造工程" in html
    assert "不良行为记录" in html and "串通投标" in html and "严重" in html
    suspension = re.search(r'id="firm-status">([^<]+)<', html)
    assert suspension is not None and suspension.group(1).startswith("暂停（暂停至 ")
    assert "北京时间" in suspension.group(1)
    assert "0751-7654321" not in html and "office@example.cn" not in html  # public: no contact
    assert "登录后可查看联系方式" in html
    assert "状态变更记录" not in html


async def test_signed_in_users_see_the_contact(
    client: Client, fresh_database: ClonedDatabase, make_user: Any
) -> None:
    firm_id = await admitted_firm(fresh_database.database, contractor(61, contact_phone="0751-1112222"))
    await make_user("owner.page", Role.OWNER)
    await _sign_in_with_cookie(client, "owner.page")
    html = (await client.get(f"/firms/{firm_id}")).text
    assert "0751-1112222" in html and "登录后可查看联系方式" not in html


async def test_unpublished_or_unknown_firm_is_a_chinese_404_page(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    applicant = await _applied_firm(fresh_database, contractor(71))
    for firm_id in (applicant, 999_999):
        response = await client.get(f"/firms/{firm_id}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "未找到该企业" in response.text and "韶关市测试建筑工程有限公司71" not in response.text


async def test_a_suspension_that_has_ended_shows_as_admitted(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    now = clock.now()
    firm_id = await admitted_firm(fresh_database.database, contractor(81), now=now - timedelta(days=10))
    async with fresh_database.database.unit_of_work() as uow:
        firm = await admission.load_firm(uow, firm_id, for_update=True)
        await admission.change_status(
            uow,
            ADMIN,
            firm,
            FirmStatus.SUSPENDED,
            reason="整改",
            until=now - timedelta(hours=1),
            now=now - timedelta(days=5),
        )
        await uow.commit()
    html = (await client.get(f"/firms/{firm_id}")).text
    assert re.search(r'id="firm-status">已入库<', html)
