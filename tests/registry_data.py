"""Building firms for registry tests: valid raw records and admitted firms in one call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from stdnum.cn import uscc as uscc_number

from market.audit import Actor
from market.db import Database, UnitOfWork
from market.models import FirmStatus, LicenceStatus
from market.principal import Principal, Role
from market.registry import admission, directory, firms
from market.registry.records import firm_input
from market.registry.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary()
ADMIN = Actor(None, "test-admin")
ADMIN_USER = Principal(1, "test-admin", "管理员", frozenset({Role.ADMIN}), None)  # what ADMIN's rules see
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in Shaoguan
TODAY = date(2026, 11, 28)


def uscc(serial: int) -> str:
    body = f"91440204{serial:09d}"[:17]
    return body + uscc_number.calc_check_digit(body)


def contractor(serial: int, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "contractor",
        "uscc": uscc(serial),
        "name": f"韶关市测试建筑工程有限公司{serial}",
        "legal_representative": "张三",
        "address": "韶关市浈江区解放路 1 号",
        "division_code": "浈江区",
        "contact_phone": "0751-8888888",
        "work_fields": ["housing_municipal"],
        "licences": [
            {
                "licence_type": "building_gc",
                "grade": "三级",
                "number": f"D3440200{serial:05d}",
                "issuer": "韶关市住房和城乡建设管理局",
                "issued_on": "2024-01-01",
                "valid_until": "2028-12-31",
            }
        ],
    }
    record.update(overrides)
    return record


def intermediary(serial: int, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "intermediary",
        "uscc": uscc(serial),
        "name": f"广东测试工程造价咨询有限公司{serial}",
        "legal_representative": "李四",
        "address": "韶关市武江区新华南路 2 号",
        "division_code": "武江区",
        "service_types": ["cost_consulting"],
        "practitioners": 12,
        "licences": [
            {
                "licence_type": "cost_consulting_cert",
                "grade": "乙级",
                "number": f"粤造价乙{serial:05d}",
                "issuer": "广东省住房和城乡建设厅",
                "valid_until": "2028-06-30",
            }
        ],
    }
    record.update(overrides)
    return record


async def admitted_firm(database: Database, raw: dict[str, Any], *, now: datetime = NOW) -> int:
    """Apply and admit in one committed step; returns the firm id."""
    async with database.unit_of_work() as uow:
        firm = await firms.apply(uow, ADMIN, firm_input(VOCABULARY, raw), now=now, vocabulary=VOCABULARY)
        await admission.change_status(uow, ADMIN, firm, FirmStatus.ADMITTED, reason="", now=now)
        await uow.commit()
        return firm.id


class LicenceSeen(NamedTuple):
    id: int
    status: LicenceStatus
    number: str


async def licences_seen(uow: UnitOfWork, firm_id: int) -> list[LicenceSeen]:
    """A firm's licences of every status, as the directory shows them to an official."""
    record = await directory.firm_record(uow, VOCABULARY, firm_id, reader=ADMIN_USER, now=NOW)
    return [LicenceSeen(lic.id, lic.status, lic.number) for lic in record.licences]
