"""Demo data for ``market serve --demo``: loaded once, recognised by its supervisor account."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import uscc as uscc_number

from market import accounts
from market.audit import Actor
from market.db import Database
from market.models import OrganisationKind, Role
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


async def load_demo(database: Database, auth: AuthSettings) -> bool:
    """Create the demo organisations and accounts unless they exist. True if loaded now."""
    actor = Actor.system("demo-loader")
    async with database.unit_of_work() as uow:
        if await accounts.find_user(uow, "supervisor") is not None:
            return False
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
        await uow.commit()
    return True
