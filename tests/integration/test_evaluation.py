"""The owner's evaluation (服务评价) into the firm's credit, and the firm's one objection
decided by a supervisor, on real PostgreSQL (issue 13): the credit moves by exactly the
policy's amounts with their causes, the next eligibility query and credit band read the new
score, an upheld objection takes the effect back, and each refused input writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from market.award import delivery, evaluation
from market.award.case_files import Upload
from market.award.evaluation_rules import EvaluationRefused
from market.db import Database
from market.errors import InvalidInput, NotFound, PermissionDenied
from market.models import (
    CreditCause,
    CreditEvent,
    ProcurementEvaluation,
    Registry,
    ServiceEvaluation,
    TimeLimit,
)
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus
from market.registry.eligibility import explain
from market.registry.requirements import Requirements
from market.review.published import evaluation_scores
from tests.bid_data import TERMS, _user, acting, bidder, owner
from tests.delivery_data import PDF, Contracted, contracted, later, score_of
from tests.registry_data import VOCABULARY

POLICY = VOCABULARY.credit
GOOD = {"quality": 5, "timeliness": 4, "attitude": 4, "compliance": 5}  # mean 4.5 -> 5
POOR = {"quality": 1, "timeliness": 1, "attitude": 2, "compliance": 1}  # mean 1.25 -> 1


async def _accepted(database: Database, c: Contracted, *, delivered_day: float = 1) -> None:
    async with database.unit_of_work() as uow:
        made = await delivery.deliver(
            uow, acting(c.firm), c.firm, c.procurement_id, note="", now=later(delivered_day), terms=TERMS,
            files=[Upload("报告.pdf", PDF)],
        )  # fmt: skip
        await delivery.accept(
            uow, acting(c.buyer), c.buyer, made.id, now=later(delivered_day + 1), terms=TERMS
        )
        await uow.commit()


async def _evaluate(
    database: Database,
    c: Contracted,
    scores: Mapping[str, Any],
    *,
    by: Principal | None = None,
    day: float = 10,
) -> ProcurementEvaluation:
    who = by or c.buyer
    async with database.unit_of_work() as uow:
        made = await evaluation.evaluate(
            uow, acting(who), who, c.procurement_id, scores=scores, comment=" 报告质量较好 ", now=later(day),
            terms=TERMS, policy_=POLICY,
        )  # fmt: skip
        await uow.commit()
        return made


async def _supervisor(database: Database, organisation_id: int | None = None) -> Principal:
    if organisation_id is None:
        return await _user(
            database, (await owner(database, "韶关市公共资源交易中心")).organisation_id or 0, Role.SUPERVISOR
        )
    return await _user(database, organisation_id, Role.SUPERVISOR)


async def _events(database: Database, firm_id: int) -> list[tuple[CreditCause, Decimal]]:
    async with database.sessions() as session:
        found = await session.scalars(
            select(CreditEvent).where(CreditEvent.firm_id == firm_id).order_by(CreditEvent.id)
        )
        return [(e.cause, e.delta) for e in found]


async def test_the_evaluation_moves_the_winners_credit_by_the_policy_and_the_next_eligibility_reads_it(
    database: Database,
) -> None:
    c = await contracted(database)
    await _accepted(database, c)
    before = await score_of(database, c.firm_id)
    assert before == POLICY.base and TERMS.band_of(before).band == "B"
    wants_75 = Requirements(kind=Registry.INTERMEDIARY, min_credit=Decimal("75"))
    async with database.unit_of_work() as uow:
        assert (await explain(uow, VOCABULARY, wants_75, c.firm_id, later(9))).eligible

    made = await _evaluate(database, c, POOR)
    assert (made.rating, made.on_time, made.scores, made.comment) == (1, True, POOR, "报告质量较好")
    after = await score_of(database, c.firm_id)
    assert after == before + POLICY.evaluation[1] + POLICY.on_time  # 80 - 6 + 1 = 75 exactly
    assert (await _events(database, c.firm_id))[-2:] == [
        (CreditCause.EVALUATION, POLICY.evaluation[1]),
        (CreditCause.PERFORMANCE, POLICY.on_time),
    ]
    assert TERMS.band_of(after).band == "C"  # the credit-weighted draw's band from now on
    wants_76 = Requirements(kind=Registry.INTERMEDIARY, min_credit=Decimal("76"))
    async with database.unit_of_work() as uow:
        said = await explain(uow, VOCABULARY, wants_76, c.firm_id, later(11))
        stored = await uow.session.get(ServiceEvaluation, made.service_evaluation_id)
        assert stored is not None and (stored.procurement_ref, stored.rating) == (c.reference, 1)
        owed = {t.action: (t.done_at, t.due_at) for t in await uow.session.scalars(select(TimeLimit))}
    assert not said.eligible and [r.code for r in said.reasons] == ["low-credit"]
    assert owed["evaluation"][0] == later(10)
    from tests.integration.test_delivery import _status

    assert await _status(database, c.procurement_id) is ProcurementStatus.EVALUATED


async def test_a_delivery_after_the_contracts_end_is_recorded_late(database: Database) -> None:
    c = await contracted(database, term_end="2026-12-01")  # CONTRACTED_AT + 1 day, China time
    await _accepted(database, c, delivered_day=2)
    made = await _evaluate(database, c, GOOD)
    assert (made.rating, made.on_time) == (5, False)
    assert await score_of(database, c.firm_id) == POLICY.base + POLICY.evaluation[5] + POLICY.late


@pytest.mark.parametrize(
    ("scores", "says"),
    [
        ({**GOOD, "quality": 6}, "quality (服务质量) is scored 1 to 5, not 6"),
        ({**GOOD, "quality": 0}, "not 0"),
        ({**GOOD, "quality": 4.5}, "not 4.5"),
        ({**GOOD, "quality": True}, "not True"),
        ({**GOOD, "quality": "5"}, "not 5"),
        ({k: v for k, v in GOOD.items() if k != "attitude"}, "attitude (服务态度) is missing"),
        ({**GOOD, "speed": 5}, "'speed' is not an evaluation criterion"),
    ],
)
async def test_scores_out_of_range_missing_or_unknown_are_refused_and_nothing_is_written(
    database: Database, scores: dict[str, Any], says: str
) -> None:
    c = await contracted(database)
    await _accepted(database, c)
    with pytest.raises(InvalidInput, match=says.replace("(", r"\(").replace(")", r"\)")) as refused:
        await _evaluate(database, c, scores)
    assert refused.value.field == "scores"
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ServiceEvaluation)) == 0
        assert await session.scalar(select(func.count()).select_from(ProcurementEvaluation)) == 0
    assert await score_of(database, c.firm_id) == POLICY.base


async def test_an_evaluation_before_acceptance_twice_or_by_another_owner_is_refused(
    database: Database,
) -> None:
    c = await contracted(database)
    with pytest.raises(EvaluationRefused, match="after the owner accepted"):
        await _evaluate(database, c, GOOD)
    await _accepted(database, c)
    stranger = await owner(database, "韶关市水务局")
    for who in (stranger, c.firm):
        with pytest.raises(PermissionDenied, match="only the owner's organisation"):
            await _evaluate(database, c, GOOD, by=who)
    assert await score_of(database, c.firm_id) == POLICY.base
    await _evaluate(database, c, GOOD)
    with pytest.raises(EvaluationRefused, match="evaluated already"):
        await _evaluate(database, c, POOR, day=11)
    assert await score_of(database, c.firm_id) == POLICY.base + POLICY.evaluation[5] + POLICY.on_time


async def _object(
    database: Database, c: Contracted, evaluation_id: int, at: datetime, by: Principal | None = None
) -> None:
    who = by or c.firm
    async with database.unit_of_work() as uow:
        await evaluation.object_to(
            uow, acting(who), who, evaluation_id, grounds="评分与事实不符", now=at, terms=TERMS
        )
        await uow.commit()


async def _decide(
    database: Database, who: Principal, evaluation_id: int, decision: str, at: datetime
) -> None:
    async with database.unit_of_work() as uow:
        await evaluation.decide(
            uow, acting(who), who, evaluation_id, decision=decision, note="经核实", now=at
        )
        await uow.commit()


async def test_an_upheld_objection_annuls_the_evaluation_and_gives_the_credit_back(
    database: Database,
) -> None:
    c = await contracted(database)
    await _accepted(database, c)
    made = await _evaluate(database, c, POOR)
    assert await score_of(database, c.firm_id) == Decimal("75.00")
    await _object(database, c, made.id, later(11))
    async with database.sessions() as session:
        [owed] = list(
            await session.scalars(select(TimeLimit).where(TimeLimit.action == "evaluation_decision"))
        )
    assert (owed.party, owed.subject) == ("supervisor", f"evaluation:{made.id}")

    own_supervisor = await _supervisor(database, c.buyer.organisation_id)
    with pytest.raises(PermissionDenied, match="outside the organisation"):
        await _decide(database, own_supervisor, made.id, "upheld", later(12))
    for who in (c.buyer, c.firm):
        with pytest.raises(PermissionDenied, match="supervisor"):
            await _decide(database, who, made.id, "upheld", later(12))
    supervisor = await _supervisor(database)
    with pytest.raises(InvalidInput, match="upheld or dismissed"):
        await _decide(database, supervisor, made.id, "maybe", later(12))
    await _decide(database, supervisor, made.id, "upheld", later(12))

    assert await score_of(database, c.firm_id) == POLICY.base
    assert (await _events(database, c.firm_id))[-2:] == [
        (CreditCause.EVALUATION, -POLICY.evaluation[1]),
        (CreditCause.PERFORMANCE, -POLICY.on_time),
    ]
    with pytest.raises(EvaluationRefused, match="already decided"):
        await _decide(database, supervisor, made.id, "dismissed", later(13))
    async with database.unit_of_work() as uow:
        scores = await evaluation_scores(
            uow, {"x": c.firm_id}, TERMS.evaluation.points, TERMS.evaluation.without, later(30)
        )
        done_at = await uow.session.scalar(select(TimeLimit.done_at).where(TimeLimit.id == owed.id))
    assert scores == {"x": str(TERMS.evaluation.without)}  # an annulled rating no longer counts
    assert done_at == later(12)


async def test_a_dismissed_objection_leaves_the_evaluation_and_a_firm_objects_once_in_time(
    database: Database,
) -> None:
    c = await contracted(database)
    await _accepted(database, c)
    made = await _evaluate(database, c, POOR)
    other = await bidder(database, 930)
    with pytest.raises(NotFound):
        await _object(database, c, made.id, later(11), by=other)
    window_end = await _window_end(database, made.id)
    with pytest.raises(EvaluationRefused, match="ended on"):
        await _object(database, c, made.id, window_end)
    supervisor = await _supervisor(database)
    with pytest.raises(EvaluationRefused, match="has not objected"):
        await _decide(database, supervisor, made.id, "dismissed", later(12))
    await _object(database, c, made.id, window_end - timedelta(seconds=1))
    with pytest.raises(EvaluationRefused, match="objects to an evaluation once"):
        await _object(database, c, made.id, window_end - timedelta(seconds=1))
    await _decide(database, supervisor, made.id, "dismissed", later(20))
    assert await score_of(database, c.firm_id) == Decimal("75.00")
    async with database.unit_of_work() as uow:
        lines = await evaluation.firm_evaluations(uow, c.firm, TERMS)
        listed = await evaluation.objections(uow, supervisor, TERMS)
        seen = [(line.evaluation.id, line.evaluation.objection_decision) for line in lines]
        assert seen == [(made.id, "dismissed")]
        assert [line.evaluation.id for line in listed] == [made.id]


async def _window_end(database: Database, evaluation_id: int) -> datetime:
    async with database.unit_of_work() as uow:
        found = await uow.session.get(ProcurementEvaluation, evaluation_id)
        assert found is not None
        return await evaluation.objection_window_end(uow, found, TERMS)
