"""The review step's inputs at the freeze, on real PostgreSQL: evaluation scores from the
registry's owner evaluations, and which failure a scored procurement without enough bids
gives when nobody reviewed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from market.models import AuditEntry, BidOpening, DrawRound, ServiceEvaluation
from market.procurement.draft import ReviewCriterion
from market.procurement.states import ProcurementStatus
from tests.bid_data import DEADLINE
from tests.conftest import ClonedDatabase
from tests.draw_flow import freeze, opened, procurement_with_bids, reload

EVALUATION_ONLY = {"weights": {"price": "50", "credit": "0", "evaluation": "50", "technical": "0"}}
TECHNICAL = {"weights": {"price": "40", "credit": "0", "evaluation": "0", "technical": "60"}}
CRITERIA = (
    ReviewCriterion("plan", "服务方案", Decimal(70)),
    ReviewCriterion("team", "项目团队", Decimal(30)),
)


async def test_evaluation_scores_are_the_mean_of_the_owners_ratings_before_the_freeze_or_the_default(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    _, row = await procurement_with_bids(
        database,
        ("150000.00", "120000.00", "135000.00"),
        method="scored",
        alternates=0,
        method_params=EVALUATION_ONLY,
    )
    await opened(database, row)
    async with database.sessions() as session:
        entries = (await session.get(BidOpening, row.id)).entries  # type: ignore[union-attr]
    rated = entries[0]
    async with database.unit_of_work() as uow:
        for n, (rating, at) in enumerate(
            ((5, DEADLINE - timedelta(days=9)), (4, DEADLINE - timedelta(days=3)))
        ):
            uow.session.add(
                ServiceEvaluation(firm_id=rated["firm_id"], procurement_ref=f"SGZJ-2025-{n:04d}", rating=rating,
                                  on_time=True, evaluated_at=at)
            )  # fmt: skip
        # an evaluation after the freeze does not count
        uow.session.add(
            ServiceEvaluation(firm_id=rated["firm_id"], procurement_ref="SGZJ-2026-9999", rating=1, on_time=False,
                              evaluated_at=DEADLINE + timedelta(minutes=1))
        )  # fmt: skip
        await uow.commit()
    await freeze(database, row)
    assert (await reload(database, row)).status is ProcurementStatus.FROZEN
    async with database.sessions() as session:
        draw = await session.get(DrawRound, (row.id, 1))
    assert draw is not None and draw.frozen_documents is not None
    scores = draw.frozen_documents["candidates"]["evaluation_scores"]
    # 5 -> 100 points, 4 -> 80: the mean 90; nobody evaluated the others: 60 (reference data)
    assert scores == {e["uscc"]: ("90.00" if e is rated else "60.00") for e in entries}


async def test_too_few_bids_fail_as_such_before_asking_for_reviews(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    review_deadline = DEADLINE + timedelta(days=1)
    _, row = await procurement_with_bids(
        database,
        ("150000.00",),
        method="scored",
        alternates=1,
        method_params=TECHNICAL,
        review_criteria=CRITERIA,
        review_deadline=review_deadline,
        selection_time=review_deadline + timedelta(hours=3),
    )
    await opened(database, row)
    await freeze(database, row, review_deadline)
    assert (await reload(database, row)).status is ProcurementStatus.FAILED
    async with database.sessions() as session:
        failed = await session.scalar(select(AuditEntry).where(AuditEntry.action == "procurement:failed"))
    assert failed is not None and failed.payload["failure"]["code"] == "insufficient_respondents"
