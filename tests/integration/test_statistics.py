"""The city's figures on a fixed data set, against values computed by hand (docs/statistics.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from market.calendar import working_calendar
from market.db import Database
from market.errors import InvalidInput
from market.models import (
    Award,
    BidOpening,
    Organisation,
    OrganisationKind,
    Procurement,
    TimeLimit,
)
from market.procurement.states import ProcurementStatus as S
from market.procurement.terms import ProcurementKind as K
from market.supervision import periods, statistics
from tests.registry_data import admitted_firm, intermediary

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
CALENDAR = working_calendar()


def _cn(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


async def _data(database: Database) -> None:
    firm = await admitted_firm(database, intermediary(970_001))
    async with database.unit_of_work() as uow:
        owner = Organisation(kind=OrganisationKind.OWNER, name="韶关市测试局")
        uow.session.add(owner)
        await uow.session.flush()
        made: dict[str, Procurement] = {}
        for ref, kind, status, published, ceiling, field in (
            ("SGZJ-2026-0001", K.INTERMEDIARY_SERVICE, S.EVALUATED, "2026-03-02 09:00", "100000.00", "cost"),
            ("SGZJ-2026-0002", K.INTERMEDIARY_SERVICE, S.FAILED, "2026-04-01 09:00", "80000.00", "cost"),
            ("SGXE-2026-0001", K.SMALL_WORKS, S.AWARDED, "2026-05-11 09:00", "500000.00", "roads"),
            ("SGZJ-2026-0003", K.INTERMEDIARY_SERVICE, S.CANCELLED, "2026-06-01 09:00", "60000.00", "survey"),
            ("SGZJ-2026-0004", K.INTERMEDIARY_SERVICE, S.PUBLISHED, "2026-11-02 09:00", "70000.00", "survey"),
            ("SGZJ-2025-0001", K.INTERMEDIARY_SERVICE, S.EVALUATED, "2025-07-01 09:00", "50000.00", "cost"),
            ("SGZJ-2025-0002", K.INTERMEDIARY_SERVICE, S.FAILED, "2025-08-01 09:00", "50000.00", "cost"),
        ):
            works = kind is K.SMALL_WORKS
            row = Procurement(
                reference=ref,
                kind=kind,
                status=status,
                owner_organisation_id=owner.id,
                title=ref,
                division_code="440203" if works else "440204",
                service_type=None if works else field,
                work_field=field if works else None,
                budget=Decimal(ceiling),
                ceiling=Decimal(ceiling),
                bid_deadline=None if works else _cn("2026-12-31 09:00"),
                selection_time=_cn("2026-12-31 10:00"),
                terms={"method": "random" if works else "lowest_price"},
                published_at=_cn(published),
            )
            uow.session.add(row)
            made[ref] = row
        await uow.session.flush()
        for ref, count in (("SGZJ-2026-0001", 4), ("SGZJ-2026-0002", 2)):
            entries: list[dict[str, Any]] = [{"uscc": str(n), "counted": True} for n in range(count)]
            uow.session.add(
                BidOpening(procurement_id=made[ref].id, opened_at=NOW, entries=entries, list_sha256="0" * 64)
            )
        for ref, amount, awarded in (
            ("SGZJ-2026-0001", "90000.00", "2026-03-09 15:00"),
            ("SGXE-2026-0001", "500000.00", "2026-05-18 15:00"),
        ):
            uow.session.add(
                Award(
                    procurement_id=made[ref].id, round=1, rank=1, firm_id=firm, uscc="x" * 18,
                    amount=Decimal(amount), selected_at=_cn(awarded), publicity_ends_at=_cn(awarded),
                    awarded_at=_cn(awarded),
                )
            )  # fmt: skip
        p1 = made["SGZJ-2026-0001"].id
        for action, due, done in (
            ("contract_owner", "2026-03-20 10:00", "2026-03-15 10:00"),
            ("contract_firm", "2026-03-20 10:00", "2026-03-25 10:00"),
            ("evaluation", "2026-06-01 10:00", None),
            ("acceptance", "2026-12-20 10:00", None),  # not due yet
            ("acceptance", "2025-12-20 10:00", "2025-12-01 10:00"),  # another period
        ):
            uow.session.add(
                TimeLimit(
                    procurement_id=p1, action=action, subject=f"award:{due}", party="owner",
                    started_at=_cn("2025-01-01 00:00"), due_at=_cn(due), done_at=_cn(done) if done else None,
                )
            )  # fmt: skip
        await uow.commit()


async def test_the_figures_of_a_year_match_the_hand_computed_values(database: Database) -> None:
    await _data(database)
    async with database.unit_of_work() as uow:
        year = await statistics.report(
            uow, periods.named("2026"), group_by="none", calendar=CALENDAR, now=NOW
        )
        by_kind = await statistics.report(
            uow, periods.named("2026"), group_by="kind", calendar=CALENDAR, now=NOW
        )
        by_method = await statistics.report(
            uow, periods.named("2026"), group_by="method", calendar=CALENDAR, now=NOW
        )
        march = await statistics.report(
            uow, periods.named("2026-03"), group_by="none", calendar=CALENDAR, now=NOW
        )
    t = year.total
    assert (t.posted, t.selected, t.failed, t.cancelled, t.open) == (5, 2, 1, 1, 1)
    assert t.success_rate == Decimal("66.67")  # 2 ÷ (2 + 1)
    assert year.posted_year_before == 2 and year.growth == Decimal("150.00")  # (5 − 2) ÷ 2
    assert t.respondents_avg == Decimal("3.00")  # (4 + 2) ÷ 2 opened
    assert t.awarded == 2 and t.days_to_award_avg == Decimal("5.00")  # Mar 3–9 and May 12–18: 5 each
    assert (t.ceiling_awarded, t.awarded_amount, t.savings) == (
        Decimal("600000.00"),
        Decimal("590000.00"),
        Decimal("10000.00"),
    )
    assert t.savings_rate == Decimal("1.67")
    assert year.rows == []

    kinds = {r.group: r for r in by_kind.rows}
    assert set(kinds) == {"intermediary_service", "small_works"}
    service = kinds["intermediary_service"]
    assert (service.posted, service.selected, service.failed, service.cancelled, service.open) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert service.success_rate == Decimal("50.00") and service.savings == Decimal("10000.00")
    assert (
        kinds["small_works"].success_rate == Decimal("100.00")
        and kinds["small_works"].respondents_avg is None
    )
    assert by_kind.total.posted == 5
    assert {r.group: r.posted for r in by_method.rows} == {"lowest_price": 4, "random": 1}

    limits = {o.action: (o.done, o.on_time, o.late_open, o.rate) for o in year.on_time}
    assert limits == {
        "contract_owner": (1, 1, 0, Decimal("100.00")),
        "contract_firm": (1, 0, 0, Decimal("0.00")),
        "evaluation": (0, 0, 1, Decimal("0.00")),
        "acceptance": (0, 0, 0, None),  # due in December, not late yet
    }
    total = year.on_time_total
    assert (total.done, total.on_time, total.late_open, total.rate) == (2, 1, 1, Decimal("33.33"))  # 1 ÷ (2 + 1)
    assert march.total.posted == 1 and march.growth is None  # nothing in March 2025


async def test_an_unknown_grouping_is_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="group_by"):
            await statistics.report(uow, periods.named("2026"), group_by="owner", calendar=CALENDAR, now=NOW)


async def test_an_award_off_the_known_calendar_counts_but_has_no_working_days(database: Database) -> None:
    """Awarded on a day of a year whose working calendar is not imported yet: it is awarded,
    its savings count, and the average of working days is over the awards that have one."""
    await _data(database)
    firm = await admitted_firm(database, intermediary(970_002))
    async with database.unit_of_work() as uow:
        owner = await uow.session.scalar(select(Organisation.id).where(Organisation.name == "韶关市测试局"))
        row = Procurement(
            reference="SGZJ-2026-0009", kind=K.INTERMEDIARY_SERVICE, status=S.AWARDED,
            owner_organisation_id=owner, title="跨年项目", division_code="440204", service_type="cost",
            budget=Decimal("40000.00"), ceiling=Decimal("40000.00"), bid_deadline=_cn("2026-12-20 09:00"),
            selection_time=_cn("2026-12-20 10:00"), terms={"method": "lowest_price"},
            published_at=_cn("2026-12-10 09:00"),
        )  # fmt: skip
        uow.session.add(row)
        await uow.session.flush()
        uow.session.add(
            Award(
                procurement_id=row.id, round=1, rank=1, firm_id=firm, uscc="x" * 18, amount=Decimal("30000.00"),
                selected_at=_cn("2026-12-20 10:00"), publicity_ends_at=_cn("2026-12-25 10:00"),
                awarded_at=_cn(f"{max(CALENDAR.known_years) + 1}-01-05 10:00"),
            )
        )  # fmt: skip
        await uow.commit()
    async with database.unit_of_work() as uow:
        year = await statistics.report(uow, periods.named("2026"), group_by="kind", calendar=CALENDAR, now=NOW)
    t = year.total
    assert t.awarded == 3 and t.savings == Decimal("20000.00")
    assert t.days_to_award_avg == Decimal("5.00")  # the two with working days, as before
