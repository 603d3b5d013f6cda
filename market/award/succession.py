"""Who takes the place when the current award ends: the next firm of the same record in
line (an alternate, 候补), when the rules say so — after an upheld objection with the
``next_alternate`` rule, or when a party did not confirm the contract in time and the owner
awards the next alternate. The ended award keeps its row, marked ``voided`` or ``replaced``
with the reason; the next one starts a publicity of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.award import limits
from market.award.records import open_award, ranked, record_of_round
from market.db import UnitOfWork
from market.errors import Conflict
from market.lifecycle.schedule import move
from market.models import Award, Firm, Procurement
from market.procurement.terms import ProcurementTerms

Ending = Literal["voided", "replaced"]


async def next_rank(
    uow: UnitOfWork, row: Procurement, award: Award, excluded_firm_ids: Collection[int] = ()
) -> int | None:
    """The rank (in the record of ``award``'s round) of the next firm in line after every
    award of that round so far, skipping ``excluded_firm_ids``; None when nobody is left."""
    record = await record_of_round(uow, row.id, award.round)
    order = ranked(record)
    taken = set(
        await uow.session.scalars(
            select(Award.rank).where(Award.procurement_id == row.id, Award.round == award.round)
        )
    )
    excluded = set(await uow.session.scalars(select(Firm.uscc).where(Firm.id.in_(list(excluded_firm_ids)))))
    for rank, uscc in enumerate(order, start=1):
        if rank > award.rank and rank not in taken and uscc not in excluded:
            return rank
    return None


async def end_award(
    uow: UnitOfWork, actor: Actor, row: Procurement, award: Award, ending: Ending, note: str, now: datetime
) -> None:
    """Close ``award`` (it stays, with the reason) and what it still owed."""
    if award.ended_at is not None:
        raise Conflict(f"award {award.id} already ended ({award.ended_reason})")
    award.ended_at, award.ended_reason, award.ended_note = now, ending, note[:2000]
    row.publicity_ends_at = None
    await uow.session.flush()
    await limits.cancel(uow, row, now, subjects=[limits.subject_of("award", award.id)])
    await audit.record(
        uow,
        actor,
        f"award:{ending}",
        "procurement",
        row.id,
        {"reference": row.reference, "award_id": award.id, "uscc": award.uscc, "note": note[:2000]},
    )


async def pass_to_next(
    uow: UnitOfWork,
    actor: Actor,
    row: Procurement,
    award: Award,
    *,
    ending: Ending,
    note: str,
    now: datetime,
    terms: ProcurementTerms,
    excluded_firm_ids: Collection[int] = (),
) -> Award | None:
    """End ``award`` and award the next firm in line (``reassign``: a new publicity), or,
    with nobody left, fail the procurement (流标). Returns the new award, or None."""
    rank = await next_rank(uow, row, award, excluded_firm_ids)
    await end_award(uow, actor, row, award, ending, note, now)
    details = {"reference": row.reference, "ended_award_id": award.id, "reason": note[:2000]}
    if rank is None:
        action = await move(uow, row, "fail", now)
        await audit.record(
            uow, actor, action, "procurement", row.id, {**details, "failure": {"code": "no_alternate_left"}}
        )
        return None
    action = await move(uow, row, "reassign", now)
    await audit.record(uow, actor, action, "procurement", row.id, {**details, "rank": rank})
    return await open_award(uow, row, round_number=award.round, rank=rank, now=now, terms=terms)
