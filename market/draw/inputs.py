"""The selection method's inputs at the freeze: from the opening list, the registries and the
stored terms.

Candidates are the firms of the counted bids, named by their USCC (统一社会信用代码): a public,
lasting identity that a bidder finds on its own receipt and that the owner's avoidance list
already uses. The firm data is what the method takes and nothing more (the engine refuses
the rest): the opened quotes and the sealed bids' digests for price and scored methods, the
credit score from the registry for scored methods that weigh credit, the submitted
reviewers' totals for those that weigh technical scores (:mod:`market.review`), the owners'
service evaluations mapped to 0–100 for those that weigh evaluation, the credit band for
credit-weighted draws.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.db import UnitOfWork
from market.draw.pool import pool_inputs
from market.models import BidOpening, Firm, Procurement
from market.procurement.draft import DraftTerms
from market.procurement.methods import engine_inputs
from market.procurement.service import stored_terms
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.review.published import FrozenReview, evaluation_scores, frozen_review

#: Methods (method or method/variant) whose candidates carry their quotes and bid digests.
QUOTED = frozenset({"lowest_price", "scored", "combined/top_n", "combined/shortlist_price"})
SCORED = frozenset({"scored", "combined/top_n"})


class NoReview(Exception):
    """No named reviewer submitted scores by the review deadline: there are no technical
    scores to weigh, so the procurement fails (流标) instead of being frozen."""

    def __init__(self, left_out: tuple[int, ...]) -> None:
        super().__init__("no reviewer submitted")
        self.failure = {"code": "no_review", "reviewers_named": len(left_out)}


def _weight(params: dict[str, Any], name: str) -> Decimal:
    return Decimal(str(params.get("weights", {}).get(name, "0")))


async def _credit(uow: UnitOfWork, firm_ids: list[int]) -> dict[int, Decimal]:
    rows = await uow.session.execute(select(Firm.id, Firm.credit_score).where(Firm.id.in_(firm_ids)))
    return {firm_id: score for firm_id, score in rows}


def _rules(draft: DraftTerms) -> dict[str, Any]:
    # the opening already left avoided firms uncounted; the list is repeated so that the record
    # shows it (an entry naming a firm that did not bid excludes nobody)
    return {"avoid": [{"id": a.firm, "reason": a.reason.strip()} for a in draft.avoidance]}


async def method_inputs(
    uow: UnitOfWork, row: Procurement, terms: ProcurementTerms, *, vocabulary: Vocabulary, at: datetime
) -> tuple[str, dict[str, Any], FrozenReview | None]:
    """``(method, inputs, review)`` for :func:`selection.engine.freeze` (no ceremony yet),
    frozen at ``at``: from the opening list, or for a kind without bids from its pool.
    ``review`` says which reviewers counted when the method weighs technical scores. Raises
    :class:`NoReview` when none of them submitted."""
    draft = stored_terms(row)
    if not terms.of(row.kind).takes_bids:
        return draft.method, await pool_inputs(uow, row, draft, terms, vocabulary, at), None
    opening = await uow.session.get(BidOpening, row.id)
    entries = [e for e in (opening.entries if opening else []) if e["counted"]]
    params = engine_inputs(draft, terms)
    code = draft.method_code
    by_uscc = {e["uscc"]: e for e in entries}
    inputs: dict[str, Any] = {
        "procurement_ref": row.reference,
        "candidates": sorted(by_uscc),
        "params": params,
        "rules": _rules(draft),
    }
    if code in QUOTED:
        inputs["quotes"] = {uscc: e["quote_value"] for uscc, e in by_uscc.items()}
        inputs["bid_digests"] = {uscc: e["digest"] for uscc, e in by_uscc.items()}
    review = None
    if code in SCORED:
        if _weight(params, "technical") > 0:
            review = await frozen_review(uow, row, sorted(by_uscc))
            picks = int(params.get("winners", 1)) + int(params.get("alternates", 0))
            # too few bids is the more basic failure: it is reported as such, reviews or not
            if not review.counted and len(by_uscc) >= picks:
                raise NoReview(review.left_out)
            inputs["technical_scores"] = review.technical_scores
        if _weight(params, "evaluation") > 0:
            scale = terms.evaluation
            firm_ids = {u: int(e["firm_id"]) for u, e in by_uscc.items()}
            inputs["evaluation_scores"] = await evaluation_scores(
                uow, firm_ids, scale.points, scale.without, at
            )
        if _weight(params, "credit") > 0:
            scores = await _credit(uow, [int(e["firm_id"]) for e in entries])
            inputs["credit_scores"] = {u: str(scores[int(e["firm_id"])]) for u, e in by_uscc.items()}
    if code == "combined/credit_weighted":
        scores = await _credit(uow, [int(e["firm_id"]) for e in entries])
        inputs["credit_bands"] = {
            u: terms.band_of(scores[int(e["firm_id"])]).band for u, e in by_uscc.items()
        }
    return draft.method, inputs, review


def inputs_of_frozen(reference: str, documents: dict[str, Any]) -> dict[str, Any]:
    """The method's inputs again from the three frozen documents (docs/draw-spec.md §3.2):
    the selection runs on exactly what was frozen, not on data read again."""
    configuration = documents["configuration"]
    inputs: dict[str, Any] = {
        "procurement_ref": reference,
        "params": configuration["params"],
        "rules": configuration["rules"],
        **documents["candidates"],
    }
    if documents["bids"]:
        inputs["bid_digests"] = documents["bids"]
    return inputs
