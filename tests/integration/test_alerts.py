"""Supervisors' alerts from the audit log: refused early reads of bids, and draws in which a
committed party withheld its reveal (and not the draws where everyone revealed)."""

from __future__ import annotations

from market import audit
from market.audit import Actor
from market.db import Database
from market.supervision import alerts, periods


async def test_early_reads_and_withheld_reveals_are_listed(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await audit.record(
            uow, Actor(7, "owner.li"), "bid:early_read_refused", "procurement", 3, {"reference": "R3"}
        )
        await audit.record(
            uow,
            Actor.system("抽取"),
            "procurement:selected",
            "procurement",
            3,
            {"reference": "R3", "withheld": ["owner"]},
        )
        await audit.record(
            uow,
            Actor.system("抽取"),
            "procurement:selected",
            "procurement",
            4,
            {"reference": "R4", "withheld": []},
        )
        await audit.record(
            uow, Actor.system("抽取"), "procurement:failed", "procurement", 5, {"reference": "R5"}
        )
        await uow.commit()
    this_year = periods.custom("2020-01-01", "2029-12-31")
    async with database.unit_of_work() as uow:
        early = await alerts.early_reads(uow, this_year)
        withheld = await alerts.withheld_reveals(uow, this_year)
        none = await alerts.early_reads(uow, periods.named("2001"))
    assert [(a.actor, a.object_id) for a in early] == [("owner.li", "3")]
    assert [(a.object_id, a.details["withheld"]) for a in withheld] == [("3", ["owner"])]
    assert none == []
