"""The collusion screens over the database: a planted cartel (four firms always bidding
together, taking turns, cover bids placed just above the winner) is flagged by every screen
that applies; the honest procurements around it are not; runs and reviews are audited."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from market.audit import Actor
from market.db import Database
from market.errors import InvalidInput
from market.models import (
    AuditEntry,
    Award,
    BidOpening,
    Organisation,
    OrganisationKind,
    Procurement,
    ScreenReview,
)
from market.procurement.states import ProcurementStatus as S
from market.procurement.terms import ProcurementKind as K
from market.supervision import periods, screening
from market.supervision.screens import Thresholds
from tests.registry_data import admitted_firm, intermediary

ACTOR = Actor(None, "sup.test")
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
YEAR = periods.named("2026")


async def _market(database: Database) -> tuple[set[int], set[int], list[int]]:
    """(cartel procurement ids, honest ones, cartel firm ids)."""
    cartel = [await admitted_firm(database, intermediary(980_001 + n)) for n in range(4)]
    rng = random.Random(14)
    cartel_ids: set[int] = set()
    honest_ids: set[int] = set()
    async with database.unit_of_work() as uow:
        owner = Organisation(kind=OrganisationKind.OWNER, name="韶关市筛查测试局")
        uow.session.add(owner)
        await uow.session.flush()
        for n in range(60):
            planted = n % 5 == 0  # 12 of the 60
            row = Procurement(
                reference=f"SGZJ-2026-{n + 1:04d}", kind=K.INTERMEDIARY_SERVICE, status=S.EVALUATED,
                owner_organisation_id=owner.id, title=f"测试{n}", division_code="440204", service_type="cost",
                budget=Decimal("200000.00"), ceiling=Decimal("200000.00"), bid_deadline=START,
                selection_time=START, terms={"method": "lowest_price"}, published_at=START + timedelta(days=n),
            )  # fmt: skip
            uow.session.add(row)
            await uow.session.flush()
            base = rng.uniform(100_000, 180_000)
            if planted:
                winner = cartel[(n // 5) % 4]
                bids = [(f, base if f == winner else base * (1.05 + rng.uniform(0, 0.004))) for f in cartel]
                cartel_ids.add(row.id)
            else:
                firms = rng.sample(range(50_000, 50_040), rng.randint(4, 6))
                bids = [(f, base * rng.uniform(0.75, 1.25)) for f in firms]
                winner = None
                honest_ids.add(row.id)
            entries: list[dict[str, Any]] = [
                {"firm_id": f, "uscc": str(f), "quote_value": f"{q:.2f}", "counted": True} for f, q in bids
            ]
            uow.session.add(
                BidOpening(procurement_id=row.id, opened_at=START, entries=entries, list_sha256="0" * 64)
            )
            if winner is not None:
                uow.session.add(
                    Award(
                        procurement_id=row.id, round=1, rank=1, firm_id=winner, uscc="x" * 18,
                        amount=Decimal(f"{base:.2f}"), selected_at=START, publicity_ends_at=START,
                    )
                )  # fmt: skip
        await uow.commit()
    return cartel_ids, honest_ids, cartel


async def test_the_planted_cartel_is_flagged_and_the_honest_procurements_are_not(database: Database) -> None:
    cartel_ids, honest_ids, cartel = await _market(database)
    async with database.unit_of_work() as uow:
        flags, screened = await screening.run(uow, ACTOR, YEAR, Thresholds())
        await uow.commit()
    assert screened == 60
    flagged = {p for f in flags for p in f.procurements}
    assert flagged == cartel_ids and not flagged & honest_ids
    kinds = {f.kind for f in flags}
    assert kinds == {"quote", "pair", "rotation"}
    [rotation] = [f for f in flags if f.kind == "rotation"]
    assert set(rotation.firms) == set(cartel) and rotation.numbers["wins"] == {
        str(f): 3 for f in sorted(cartel)
    }
    async with database.sessions() as session:
        [run] = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "screen:run")))
    assert run.payload["procurements"] == 60 and run.payload["flags"]["pair"] == 6


async def test_a_flag_is_reviewed_with_a_note_and_audited(database: Database) -> None:
    await _market(database)
    async with database.unit_of_work() as uow:
        flags, _ = await screening.run(uow, ACTOR, YEAR, Thresholds())
        pair = next(f for f in flags if f.kind == "pair")
        now = datetime(2026, 11, 30, tzinfo=UTC)
        with pytest.raises(InvalidInput, match="note"):
            await screening.review(
                uow, ACTOR, YEAR, Thresholds(), flag=pair.key, decision="referred", note=" ", now=now
            )
        with pytest.raises(InvalidInput, match="decision"):
            await screening.review(
                uow, ACTOR, YEAR, Thresholds(), flag=pair.key, decision="guilty", note="x", now=now
            )
        with pytest.raises(InvalidInput, match="no flag"):
            await screening.review(
                uow, ACTOR, YEAR, Thresholds(), flag="pair:1-2", decision="dismissed", note="x", now=now
            )
        made = await screening.review(
            uow,
            ACTOR,
            YEAR,
            Thresholds(),
            flag=pair.key,
            decision="referred",
            note="移送市场监管部门",
            now=now,
        )
        await uow.commit()
    assert made.numbers["procurements"] == list(pair.procurements)
    async with database.unit_of_work() as uow:
        again, _ = await screening.run(uow, ACTOR, YEAR, Thresholds())
        reviewed = next(f for f in again if f.key == pair.key)
        assert reviewed.review is not None and reviewed.review.decision == "referred"
    async with database.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "screen:reviewed"))
        rows = list(await session.scalars(select(ScreenReview)))
    assert entry is not None and entry.payload["decision"] == "referred" and len(rows) == 1
