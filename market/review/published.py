"""The review after its deadline: every submitted score once the draw's inputs are frozen
(public), what the freeze takes (the submitted reviewers' totals, who was left out), and the
owners' service evaluations as the ``evaluation`` scores of a scored draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from market.db import UnitOfWork
from market.models import Procurement, ProcurementEvaluation, ServiceEvaluation
from market.principal import Principal
from market.procurement.draft import ReviewCriterion
from market.procurement.review_terms import needs_review
from market.procurement.service import load, stored_terms
from market.review import rules
from market.review.rules import Sheet
from market.review.service import Firm, Reviewer, counted_firms, is_frozen, reviewers_of, sheet_of


@dataclass(frozen=True, slots=True)
class PublicScores:
    """Every submitted score, once frozen; ``reviewers`` in the order the record uses."""

    criteria: tuple[ReviewCriterion, ...]
    firms: tuple[Firm, ...]
    reviewers: tuple[Reviewer, ...]
    left_out: tuple[Reviewer, ...]
    sheets: Mapping[int, Sheet]


@dataclass(frozen=True, slots=True)
class FrozenReview:
    """What the freeze takes: the engine's ``technical_scores`` and who counted."""

    technical_scores: dict[str, list[str]]
    counted: tuple[int, ...]
    left_out: tuple[int, ...]


async def public_scores(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int
) -> PublicScores | None:
    """Every submitted score once the inputs are frozen; None before (or without a review)."""
    row = await load(uow, principal, procurement_id)
    draft = stored_terms(row)
    if not needs_review(draft) or not await is_frozen(uow, row):
        return None
    named = await reviewers_of(uow, row.id)
    counted = tuple(r for r in named if r.submitted_at is not None)
    return PublicScores(
        criteria=draft.review_criteria,
        firms=await counted_firms(uow, row.id),
        reviewers=counted,
        left_out=tuple(r for r in named if r.submitted_at is None),
        sheets={r.user_id: await sheet_of(uow, row.id, r.user_id) for r in counted},
    )


async def frozen_review(uow: UnitOfWork, row: Procurement, firms: Sequence[str]) -> FrozenReview:
    """The submitted reviewers' totals for the freeze (``technical_scores``), and who was
    left out for not submitting."""
    named = await reviewers_of(uow, row.id)
    counted = [r.user_id for r in named if r.submitted_at is not None]
    sheets = {r: await sheet_of(uow, row.id, r) for r in counted}
    return FrozenReview(
        technical_scores=rules.technical_scores(sheets, firms) if counted else {},
        counted=tuple(counted),
        left_out=tuple(r.user_id for r in named if r.submitted_at is None),
    )


async def evaluation_scores(
    uow: UnitOfWork,
    firm_ids: Mapping[str, int],
    points: Mapping[int, Decimal],
    without: Decimal,
    before: datetime,
) -> dict[str, str]:
    """``evaluation_scores`` for the engine: each firm's owners' ratings before ``before``
    mapped to 0–100 (:class:`market.procurement.terms.EvaluationScale`). A rating a
    supervisor annulled before ``before`` (the firm's objection upheld) no longer counts."""
    annulled = select(ProcurementEvaluation.id).where(
        ProcurementEvaluation.service_evaluation_id == ServiceEvaluation.id,
        ProcurementEvaluation.objection_decision == "upheld",
        ProcurementEvaluation.decided_at < before,
    )
    rows = await uow.session.execute(
        select(ServiceEvaluation.firm_id, ServiceEvaluation.rating).where(
            ServiceEvaluation.firm_id.in_(list(firm_ids.values())),
            ServiceEvaluation.evaluated_at < before,
            ~annulled.exists(),
        )
    )
    ratings: dict[int, list[int]] = {}
    for firm_id, rating in rows:
        ratings.setdefault(firm_id, []).append(int(rating))
    return {
        uscc: str(rules.mean_points(ratings.get(fid, []), points, without)) for uscc, fid in firm_ids.items()
    }
