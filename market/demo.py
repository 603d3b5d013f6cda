"""Demo data for ``market serve --demo``: loaded once, recognised by its supervisor account.

The demo intermediaries and contractors are registry firms too (admitted, with licences),
so that agent1 … builder2 each own a firm; beside them the generated pool of
:mod:`market.registry.demo_pool` fills the registries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from stdnum.cn import uscc as uscc_number

from market import accounts
from market.audit import Actor
from market.clock import local
from market.db import Database, UnitOfWork
from market.models import OrganisationKind, Registry, Role
from market.registry.bulk import upsert_firms
from market.registry.demo_pool import PoolSummary, load_demo_pool
from market.registry.records import FirmInput, firm_input
from market.registry.vocabulary import Vocabulary, load_vocabulary
from market.settings import AuthSettings

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (published in the README on purpose)


def demo_uscc(serial: int) -> str:
    """A syntactically valid 统一社会信用代码 in Shaoguan (4402xx) for demo firms."""
    body = f"914402{serial:011d}"[:17]
    return body + uscc_number.calc_check_digit(body)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    org_index: int | None


ORGANISATIONS: list[tuple[OrganisationKind, str, str]] = [
    (OrganisationKind.TRADING_CENTRE, "韶关市公共资源交易中心", "韶关市武江区沿江路 16 号"),
    (OrganisationKind.OWNER, "韶关市住房和城乡建设管理局", "韶关市浈江区解放路 30 号"),
    (OrganisationKind.OWNER, "韶关市交通运输局", "韶关市武江区工业西路 23 号"),
    (OrganisationKind.INTERMEDIARY, "广东韶正工程造价咨询有限公司", "韶关市浈江区风度北路 88 号"),
    (OrganisationKind.INTERMEDIARY, "韶关市粤北测绘有限公司", "韶关市武江区新华南路 12 号"),
    (OrganisationKind.INTERMEDIARY, "广东丹霞资产评估事务所有限公司", "韶关市浈江区东堤中路 5 号"),
    (OrganisationKind.INTERMEDIARY, "韶关市南岭建筑设计院有限公司", "韶关市武江区芙蓉大道 101 号"),
    (OrganisationKind.INTERMEDIARY, "广东北江环境评价咨询有限公司", "韶关市曲江区马坝镇府前路 7 号"),
    (OrganisationKind.CONTRACTOR, "韶关市丰源市政工程有限公司", "韶关市浈江区十里亭镇 1 号"),
    (OrganisationKind.CONTRACTOR, "广东曲江路桥建设有限公司", "韶关市曲江区韶钢大道 66 号"),
    (OrganisationKind.CONTRACTOR, "韶关市浈江水利水电工程有限公司", "韶关市浈江区犁市镇 9 号"),
    (OrganisationKind.CONTRACTOR, "乐昌市电力安装工程有限公司", "乐昌市乐城街道人民路 3 号"),
    (OrganisationKind.CONTRACTOR, "仁化县建工集团有限公司", "仁化县丹霞街道丹霞大道 20 号"),
]

ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "平台管理员", Role.ADMIN, 0),
    DemoAccount("supervisor", "监督员 陈明", Role.SUPERVISOR, 0),
    DemoAccount("owner", "业主经办人 李华", Role.OWNER, 1),
    DemoAccount("owner2", "业主经办人 王芳", Role.OWNER, 2),
    DemoAccount("agent1", "造价咨询 张伟", Role.INTERMEDIARY, 3),
    DemoAccount("agent2", "测绘 刘洋", Role.INTERMEDIARY, 4),
    DemoAccount("agent3", "评估 黄静", Role.INTERMEDIARY, 5),
    DemoAccount("builder1", "施工 周强", Role.CONTRACTOR, 8),
    DemoAccount("builder2", "施工 吴刚", Role.CONTRACTOR, 9),
]


# org index -> its registry record: division, legal representative, fields or service
# types, practitioners, licences (type, grade, number, issuer, days still valid)
FIRMS: dict[int, tuple[str, str, tuple[str, ...], int, tuple[tuple[str, str, str, str, int], ...]]] = {
    3: (
        "440204",
        "张伟",
        ("cost_consulting", "tendering_agency"),
        18,
        (
            ("cost_consulting_cert", "乙级", "乙2144020386", "广东省住房和城乡建设厅", 900),
            ("tendering_agency_record", "", "粤招代登440212", "广东省住房和城乡建设厅", 1200),
        ),
    ),
    4: (
        "440203",
        "刘洋",
        ("surveying",),
        26,
        (("surveying_cert", "乙级", "乙测资字44020117", "广东省自然资源厅", 20),),
    ),
    5: (
        "440204",
        "黄静",
        ("asset_appraisal", "land_appraisal"),
        12,
        (
            ("asset_appraisal_cert", "", "粤财资评备〔2021〕36号", "广东省财政厅", 700),
            ("land_appraisal_cert", "", "2021440087", "广东省自然资源厅", 700),
        ),
    ),
    6: (
        "440203",
        "陈志强",
        ("planning_design",),
        35,
        (("design_cert", "乙级", "A244017652", "广东省住房和城乡建设厅", 1400),),
    ),
    7: (
        "440205",
        "何丽娟",
        ("eia", "soil_water_conservation"),
        15,
        (("eia_cert", "", "HP4402000318", "中华人民共和国生态环境部", 1000),),
    ),
    8: (
        "440204",
        "周强",
        ("housing_municipal",),
        42,
        (
            ("municipal_gc", "三级", "D344020531", "韶关市住房和城乡建设局", 1100),
            ("building_gc", "三级", "D344020532", "韶关市住房和城乡建设局", 25),
            ("safety_permit", "", "(粤)JZ安许证字[2024]020766", "广东省住房和城乡建设厅", 800),
        ),
    ),
    9: (
        "440205",
        "吴刚",
        ("transport",),
        55,
        (
            ("highway_gc", "二级", "D244106325", "广东省住房和城乡建设厅", 1300),
            ("safety_permit", "", "(粤)JZ安许证字[2023]020415", "广东省住房和城乡建设厅", 400),
        ),
    ),
    10: (
        "440204",
        "梁国华",
        ("water",),
        30,
        (("water_gc", "三级", "D344020748", "韶关市住房和城乡建设局", 600),),
    ),
    11: (
        "440281",
        "邓少华",
        ("energy",),
        24,
        (("power_gc", "三级", "D344020913", "韶关市住房和城乡建设局", 1500),),
    ),
    12: (
        "440224",
        "曾振宇",
        ("housing_municipal", "water"),
        60,
        (
            ("building_gc", "二级", "D244087120", "广东省住房和城乡建设厅", 1000),
            ("water_gc", "三级", "D344021044", "韶关市住房和城乡建设局", 1000),
        ),
    ),
}


def firm_records(vocabulary: Vocabulary, today: date) -> list[FirmInput]:
    """The registry records of the demo intermediaries and contractors."""
    records = []
    for index, (division, legal, fields, practitioners, licences) in FIRMS.items():
        kind, name, address = ORGANISATIONS[index]
        registry = Registry(kind.value)
        raw = {
            "uscc": demo_uscc((index + 1) * 7919),
            "name": name,
            "address": address,
            "legal_representative": legal,
            "division_code": division,
            "contact_name": legal,
            "contact_phone": f"0751-88{index:05d}",
            "work_fields" if registry is Registry.CONTRACTOR else "service_types": list(fields),
            "practitioners": practitioners,
            "licences": [
                {
                    "licence_type": code,
                    "grade": grade,
                    "number": number,
                    "issuer": issuer,
                    "valid_until": today + timedelta(days=days),
                    "issued_on": today + timedelta(days=days) - timedelta(days=5 * 365),
                }
                for code, grade, number, issuer, days in licences
            ],
        }
        records.append(firm_input(vocabulary, raw, kind=registry))
    return records


@dataclass(frozen=True)
class DemoSummary:
    accounts_loaded: bool  # False: the demo accounts were there already
    pool: PoolSummary


async def load_demo(
    database: Database,
    auth: AuthSettings,
    *,
    vocabulary: Vocabulary | None = None,
    now: datetime | None = None,
) -> DemoSummary:
    """Create the demo organisations and accounts unless they exist, then the registry pool
    unless it exists (:func:`market.registry.demo_pool.load_demo_pool`); both are
    recognised, so a database that has one of them gets the other."""
    actor = Actor.system("demo-loader")
    vocabulary = vocabulary or load_vocabulary()
    now = now or datetime.now(UTC)
    accounts_loaded = False
    async with database.unit_of_work() as uow:
        if await accounts.find_user(uow, "supervisor") is None:
            await _load_accounts(uow, actor, auth, vocabulary, now)
            await uow.commit()
            accounts_loaded = True
    pool = await load_demo_pool(database, vocabulary, now=now)
    return DemoSummary(accounts_loaded, pool)


async def _load_accounts(
    uow: UnitOfWork, actor: Actor, auth: AuthSettings, vocabulary: Vocabulary, now: datetime
) -> None:
    org_ids: list[int] = []
    for serial, (kind, name, address) in enumerate(ORGANISATIONS, start=1):
        org = await accounts.create_organisation(
            uow,
            actor,
            kind=kind,
            name=name,
            uscc=demo_uscc(serial * 7919),
            address=address,
        )
        org_ids.append(org.id)
    # the intermediaries' and contractors' organisations become their firms
    await upsert_firms(
        uow, actor, firm_records(vocabulary, local(now).date()), now=now, vocabulary=vocabulary
    )
    for account in ACCOUNTS:
        await accounts.create_user(
            uow,
            actor,
            username=account.username,
            display_name=account.display_name,
            password=DEMO_PASSWORD,
            roles=[account.role],
            organisation_id=org_ids[account.org_index] if account.org_index is not None else None,
            auth=auth,
        )
