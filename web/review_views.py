"""The review section of the public procurement page (评审): the criteria and deadline from
the terms, and — once the draw's inputs are frozen — every submitted score with each
reviewer's total, the number the record weighs as a technical score."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from market.db import UnitOfWork
from market.principal import Principal
from market.procurement.draft import DraftTerms, ReviewCriterion
from market.procurement.review_terms import needs_review
from market.review import published, rules
from web.procurement_page_views import china_time


@dataclass(frozen=True, slots=True)
class ScoreRow:
    firm_name: str
    uscc: str
    reviewer: str
    cells: dict[str, Decimal]
    total: Decimal


@dataclass(frozen=True, slots=True)
class ReviewSection:
    criteria: tuple[ReviewCriterion, ...]
    review_deadline: str
    rows: list[ScoreRow]  # empty before the freeze
    published: bool
    left_out: list[str]


async def review_section(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, terms: DraftTerms
) -> ReviewSection | None:
    """The section, or None for a procurement without a review step."""
    if not needs_review(terms):
        return None
    scores = await published.public_scores(uow, principal, procurement_id)
    rows: list[ScoreRow] = []
    left_out: list[str] = []
    if scores is not None:
        for firm in scores.firms:
            for reviewer in scores.reviewers:
                cells = dict(scores.sheets[reviewer.user_id].get(firm.uscc, {}))
                rows.append(ScoreRow(firm.name, firm.uscc, reviewer.display_name, cells, rules.total(cells)))
        left_out = [r.display_name for r in scores.left_out]
    return ReviewSection(
        terms.review_criteria, china_time(terms.review_deadline), rows, scores is not None, left_out
    )
