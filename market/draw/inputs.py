"""The selection method's inputs at the freeze: from the opening list, the registries and the
stored terms.

Candidates are the firms of the counted bids, named by their USCC (统一社会信用代码): a public,
lasting identity that a bidder finds on its own receipt and that the owner's avoidance list
already uses. The firm data is what the method takes and nothing more (the engine refuses
the rest): the opened quotes and the sealed bids' digests for price and scored methods, the
credit score from the registry for scored methods that weigh credit, the credit band for
credit-weighted draws.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.db import UnitOfWork
from market.draw.pool import pool_inputs
from market.errors import Conflict
from market.models import BidOpening, Firm, Procurement
from market.procurement.draft import DraftTerms
from market.procurement.methods import engine_inputs
from market.procurement.service import stored_terms
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary

#: Methods (method or method/variant) whose candidates carry their quotes and bid digests.
QUOTED = frozenset({"lowest_price", "scored", "combined/top_n", "combined/shortlist_price"})
SCORED = frozenset({"scored", "combined/top_n"})


class NeedsReview(Conflict):
    """The method weighs the reviewers' technical or the owners' evaluation scores, entered
    in the review step, which this platform does not have yet: the draw cannot be frozen."""

    code = "needs-review"


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
) -> tuple[str, dict[str, Any]]:
    """``(method, inputs)`` for :func:`selection.engine.freeze` (no ceremony yet), frozen at
    ``at``: from the opening list, or for a kind without bids from its pool."""
    draft = stored_terms(row)
    if not terms.of(row.kind).takes_bids:
        return draft.method, await pool_inputs(uow, row, draft, terms, vocabulary, at)
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
    if code in SCORED:
        if _weight(params, "technical") > 0 or _weight(params, "evaluation") > 0:
            raise NeedsReview(
                f"{row.reference} weighs technical or evaluation scores: the review step that enters "
                "them is not available yet",
                procurement_id=row.id,
            )
        if _weight(params, "credit") > 0:
            scores = await _credit(uow, [int(e["firm_id"]) for e in entries])
            inputs["credit_scores"] = {u: str(scores[int(e["firm_id"])]) for u, e in by_uscc.items()}
    if code == "combined/credit_weighted":
        scores = await _credit(uow, [int(e["firm_id"]) for e in entries])
        inputs["credit_bands"] = {
            u: terms.band_of(scores[int(e["firm_id"])]).band for u, e in by_uscc.items()
        }
    return draft.method, inputs


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
