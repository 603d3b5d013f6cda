"""A realistic, reproducible pool of firms for ``market serve --demo``, the tests and the
benches: contractors and intermediaries of Shaoguan (and a few from Guangzhou and
Shenzhen) with licences, track records and contacts that look like the real thing.

Everything comes from one seeded ``random.Random``; dates are drawn as offsets from the
``today`` the caller passes, so the same seed always gives the same firms (and the same
USCCs whatever ``today`` is, which is how :func:`load_demo_pool` recognises a loaded
pool). Each record goes through :func:`firm_input`, so the pool is valid by construction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from market.audit import Actor
from market.clock import local
from market.db import Database, UnitOfWork
from market.models import Firm, FirmStatus, Misconduct, MisconductSeverity, Organisation, Registry
from market.registry.admission import change_status, load_firm
from market.registry.bulk import upsert_firms
from market.registry.credit import record_evaluation, record_misconduct
from market.registry.demo_records import Names, draw_firm, places, pool_uscc
from market.registry.records import FirmInput
from market.registry.vocabulary import Vocabulary

__all__ = ["PoolSummary", "demo_firms", "load_demo_pool", "pool_uscc"]


def demo_firms(
    vocabulary: Vocabulary,
    *,
    today: date,
    contractors: int = 600,
    intermediaries: int = 300,
    seed: int = 2026,
) -> list[FirmInput]:
    """A reproducible pool: ``contractors`` then ``intermediaries`` firms, checked by
    :func:`firm_input`. The same arguments give the same records; USCCs and names do not
    depend on ``today`` and are all distinct (and distinct from :func:`market.demo.demo_uscc`'s)."""
    rng = random.Random(seed)
    where = places(vocabulary)
    names = Names()
    usccs: set[str] = set()
    return [
        draw_firm(rng, vocabulary, kind, where, names, usccs, today)
        for kind, count in ((Registry.CONTRACTOR, contractors), (Registry.INTERMEDIARY, intermediaries))
        for _ in range(count)
    ]


# -- loading ------------------------------------------------------------------------------
DEMO_ACTOR = Actor.system("demo-pool")
APPLIED = {Registry.CONTRACTOR: 6, Registry.INTERMEDIARY: 4}  # left in the admin's review queue
MISCONDUCT: tuple[tuple[MisconductSeverity, str, str, int], ...] = (
    (MisconductSeverity.SEVERE, "串通投标，与其他投标人协商报价", "韶建通〔{y}〕17号", 40),
    (MisconductSeverity.SEVERE, "提供虚假业绩证明材料骗取中选", "韶公管通〔{y}〕5号", 75),
    (MisconductSeverity.SERIOUS, "中选后无正当理由拒绝签订合同", "韶公管通〔{y}〕9号", 120),
    (MisconductSeverity.SERIOUS, "项目负责人未按承诺到岗履职", "", 200),
    (MisconductSeverity.MINOR, "未按合同约定时间提交服务成果", "", 60),
    (MisconductSeverity.MINOR, "施工现场安全文明检查不合格，限期整改", "", 30),
    (MisconductSeverity.MINOR, "未按要求及时更新企业资质信息", "", 15),
)
# (reason, days suspended; None: until lifted)
SUSPENSIONS: tuple[tuple[str, int | None], ...] = (
    ("安全生产许可证被发证机关暂扣，暂停入库资格", 90),
    ("涉嫌违法分包，正在接受行业主管部门调查", None),
)


@dataclass(frozen=True, slots=True)
class PoolSummary:
    """What :func:`load_demo_pool` found or wrote."""

    loaded: bool  # False: the pool was there already
    contractors: int
    intermediaries: int
    applied: int
    suspended: int
    misconduct: int

    @property
    def firms(self) -> int:
        return self.contractors + self.intermediaries


async def load_demo_pool(database: Database, vocabulary: Vocabulary, *, now: datetime) -> PoolSummary:
    """Put the :func:`demo_firms` pool in the registries unless it is there (recognised by
    its USCCs): most firms admitted, a few waiting for review, some misconduct (the severe
    ones suspend their firm) and a couple of suspensions by an administrator. One
    transaction; set-based inserts, so it takes well under a second or two."""
    today = local(now).date()
    records = demo_firms(vocabulary, today=today)
    usccs = [r.uscc for r in records]
    async with database.unit_of_work() as uow:
        present = await uow.session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.uscc.in_(usccs))
        )
        if present:
            return await _summary(uow, usccs, loaded=False)
        applied = {
            r.uscc for kind, count in APPLIED.items() for r in [r for r in records if r.kind is kind][-count:]
        }
        admitted = [r for r in records if r.uscc not in applied]
        result = await upsert_firms(uow, DEMO_ACTOR, admitted, now=now, vocabulary=vocabulary)
        await upsert_firms(
            uow,
            DEMO_ACTOR,
            [r for r in records if r.uscc in applied],
            now=now,
            vocabulary=vocabulary,
            status=FirmStatus.APPLIED,
        )
        # spread over both registries: contractor, intermediary, contractor …
        contractors = [r for r in admitted if r.kind is Registry.CONTRACTOR][5::53]
        intermediaries = [r for r in admitted if r.kind is Registry.INTERMEDIARY][3::41]
        targets = [
            result.firm_ids[r.uscc] for pair in zip(contractors, intermediaries, strict=False) for r in pair
        ]
        for (severity, description, reference, days_ago), firm_id in zip(MISCONDUCT, targets, strict=False):
            occurred = today - timedelta(days=days_ago)
            await record_misconduct(
                uow,
                DEMO_ACTOR,
                firm_id,
                severity=severity,
                description=description,
                occurred_on=occurred,
                reference=reference.format(y=occurred.year),
                now=now,
                policy=vocabulary.credit,
            )
        for (reason, days), firm_id in zip(SUSPENSIONS, targets[len(MISCONDUCT) :], strict=False):
            firm = await load_firm(uow, firm_id, for_update=True)
            until = now + timedelta(days=days) if days is not None else None
            await change_status(
                uow, DEMO_ACTOR, firm, FirmStatus.SUSPENDED, reason=reason, now=now, until=until
            )
        await _evaluate(uow, [result.firm_ids[r.uscc] for r in admitted], vocabulary, now)
        summary = await _summary(uow, usccs, loaded=True)
        await uow.commit()
    return summary


EVALUATED = 80  # firms with an owner's evaluation, so that credit scores differ


async def _evaluate(uow: UnitOfWork, firm_ids: Sequence[int], vocabulary: Vocabulary, now: datetime) -> None:
    """Owners' evaluations of past work for a seeded sample of firms, through the same
    hook the procurement lifecycle uses; most are good, a few are poor or late."""
    rng = random.Random(7)
    for n, firm_id in enumerate(rng.sample(list(firm_ids), min(EVALUATED, len(firm_ids)))):
        rating = rng.choices([5, 4, 3, 2, 1], weights=[35, 35, 18, 8, 4])[0]
        await record_evaluation(
            uow,
            DEMO_ACTOR,
            firm_id,
            procurement_ref=f"SGGZY-{now.year - 1}-{n + 1:04d}",
            rating=rating,
            on_time=rating >= 3 or rng.random() < 0.5,
            comment="演示数据：业主服务评价",
            now=now,
            policy=vocabulary.credit,
        )


async def _summary(uow: UnitOfWork, usccs: Sequence[str], *, loaded: bool) -> PoolSummary:
    rows = (
        await uow.session.execute(
            select(Firm.kind, Firm.status, func.count())
            .join(Organisation, Organisation.id == Firm.id)
            .where(Organisation.uscc.in_(usccs))
            .group_by(Firm.kind, Firm.status)
        )
    ).all()
    misconduct = await uow.session.scalar(
        select(func.count())
        .select_from(Misconduct)
        .join(Organisation, Organisation.id == Misconduct.firm_id)
        .where(Organisation.uscc.in_(usccs))
    )
    return PoolSummary(
        loaded=loaded,
        contractors=sum(n for kind, _, n in rows if kind is Registry.CONTRACTOR),
        intermediaries=sum(n for kind, _, n in rows if kind is Registry.INTERMEDIARY),
        applied=sum(n for _, status, n in rows if status is FirmStatus.APPLIED),
        suspended=sum(n for _, status, n in rows if status is FirmStatus.SUSPENDED),
        misconduct=int(misconduct or 0),
    )
