"""The candidates of a draw from a registry's pool (small works: no bids) at the freeze.

Candidates are the firms the registry's own eligibility query finds for the procurement's
requirements *at the freeze* (:func:`market.registry.eligibility.eligible_firms` with the
requirements :func:`market.procurement.eligibility_count.requirements_of` reads — the same
rule publication counted with), named by USCC. The owner's avoidance list (回避) is left to
the draw's ``rules.avoid`` rather than to the query, so that the record shows whom it kept out
and why; the same goes for rotation (轮换), whose win history is every confirmed small-works
offer (``contractor_offer.answer = 'confirmed'``) of a candidate before the freeze, within
the kind's rotation window. Credit bands are the registry's credit score at the freeze.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from market.clock import local
from market.db import UnitOfWork
from market.draw.offer_rules import CONFIRMED
from market.models import ContractorOffer, Procurement
from market.procurement.draft import DraftTerms
from market.procurement.eligibility_count import requirements_of
from market.procurement.methods import engine_inputs
from market.procurement.terms import ProcurementTerms, Rotation
from market.registry.eligibility import eligible_firms
from market.registry.records import check_uscc
from market.registry.vocabulary import Vocabulary


def _avoided(draft: DraftTerms) -> list[dict[str, str]]:
    return sorted(
        ({"id": check_uscc(a.firm), "reason": a.reason.strip()} for a in draft.avoidance),
        key=lambda entry: entry["id"],
    )


def _rotation(rotation: Rotation, at: datetime) -> dict[str, Any]:
    day = local(at).date()
    period = rotation.period_days
    return {
        "reference_date": day.isoformat(),
        "recent_days": rotation.recent_days,
        "max_wins": rotation.max_wins,
        "period_start": None if period is None else (day - timedelta(days=period)).isoformat(),
    }


async def win_history(
    uow: UnitOfWork, usccs: list[str], rotation: Rotation, at: datetime
) -> list[dict[str, str]]:
    """The confirmed small-works offers of ``usccs`` before ``at`` that rotation can weigh
    (within the longer of its two windows), as the engine's ``{id, date}`` (China dates)."""
    days = max(rotation.recent_days, rotation.period_days or 0)
    since = at - timedelta(days=days + 1)
    rows = await uow.session.execute(
        select(ContractorOffer.uscc, ContractorOffer.answered_at)
        .where(
            ContractorOffer.answer == CONFIRMED,
            ContractorOffer.uscc.in_(usccs),
            ContractorOffer.answered_at < at,
            ContractorOffer.answered_at >= since,
        )
        .order_by(ContractorOffer.uscc, ContractorOffer.answered_at)
    )
    return [{"id": uscc, "date": local(answered).date().isoformat()} for uscc, answered in rows if answered]


async def pool_inputs(
    uow: UnitOfWork,
    row: Procurement,
    draft: DraftTerms,
    terms: ProcurementTerms,
    vocabulary: Vocabulary,
    at: datetime,
) -> dict[str, Any]:
    """The method's inputs (no ceremony yet) of a pool draw frozen at ``at``."""
    avoid = _avoided(draft)
    requirements = requirements_of(vocabulary, terms, draft)
    # the owner's avoidance is the draw's rule, shown in the record; the requirements' own stays
    requirements = replace(requirements, avoid=requirements.avoid - {a["id"] for a in avoid})
    pool = await eligible_firms(uow, vocabulary, requirements, at)
    candidates = sorted(pool.usccs)
    rules: dict[str, Any] = {"avoid": avoid}
    rotation = terms.of(row.kind).rotation
    if rotation is not None:
        rules["rotation"] = _rotation(rotation, at)
        history = await win_history(uow, candidates, rotation, at)
        if history:  # the engine refuses a history it is not asked to weigh; empty is left out
            rules["win_history"] = history
    inputs: dict[str, Any] = {
        "procurement_ref": row.reference,
        "candidates": candidates,
        "params": engine_inputs(draft, terms),
        "rules": rules,
    }
    if draft.method_code == "combined/credit_weighted":
        inputs["credit_bands"] = {
            uscc: terms.band_of(Decimal(hundredths) / 100).band
            for uscc, hundredths in zip(pool.usccs, pool.credit_hundredths, strict=True)
        }
    return inputs
