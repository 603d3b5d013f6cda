"""The award rows: opened when a procurement becomes ``selected`` (the result's publicity
starts), and the lifecycle's ``award`` step at the publicity's end.

:func:`open_award` is called by every path into ``selected`` — the draw's selection of a
kind with bids (:mod:`market.draw.steps`), a contractor's confirmation (:mod:`market.draw.offers`),
an approved direct selection (:mod:`market.direct.successor`), a redraw, and the next
alternate taking the place — in the caller's transaction, after the status moved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.award import limits, rules
from market.calendar_years import Calendars
from market.db import UnitOfWork
from market.errors import NotFound
from market.lifecycle.schedule import move, reschedule
from market.models import Award, BidOpening, Firm, Procurement, SelectionRecordRow
from market.procurement.terms import ProcurementTerms
from selection.record import SelectionRecord

AWARD_ACTOR = Actor.system("定标（系统）")


async def record_of_round(uow: UnitOfWork, procurement_id: int, round_number: int) -> SelectionRecord:
    stored = await uow.session.scalar(
        select(SelectionRecordRow.record).where(
            SelectionRecordRow.procurement_id == procurement_id, SelectionRecordRow.round == round_number
        )
    )
    if stored is None:
        raise NotFound(f"procurement {procurement_id} has no selection record of round {round_number}")
    return SelectionRecord.from_json(stored)


def ranked(record: SelectionRecord) -> list[str]:
    """The record's firms in the order they take the place: winners, then alternates."""
    return [*record.winners, *record.alternates]


async def current_award(uow: UnitOfWork, procurement_id: int, *, lock: bool = False) -> Award | None:
    query = select(Award).where(Award.procurement_id == procurement_id, Award.ended_at.is_(None))
    if lock:
        query = query.with_for_update()
    award: Award | None = await uow.session.scalar(query)
    return award


async def open_award(
    uow: UnitOfWork,
    row: Procurement,
    *,
    round_number: int,
    rank: int,
    now: datetime,
    terms: ProcurementTerms,
) -> Award:
    """The award of the firm at ``rank`` (1-based: winners, then alternates) of round
    ``round_number``'s record: its price, and the publicity that starts now. The result
    notice PDF is issued afterwards by :func:`market.award.documents.issue_pending` (outside
    the procurement's lock: rendering takes a while), so ``result_notice_id`` starts empty."""
    record = await record_of_round(uow, row.id, round_number)
    uscc = ranked(record)[rank - 1]
    firm = await uow.session.scalar(select(Firm).where(Firm.uscc == uscc))
    if firm is None:
        raise NotFound(f"the selected firm {uscc} is not in the registry")
    opening = await uow.session.get(BidOpening, row.id)
    entry = next((e for e in (opening.entries if opening else []) if e["uscc"] == uscc), None)
    calendar = await Calendars().current(uow)
    award = Award(
        procurement_id=row.id,
        round=round_number,
        rank=rank,
        firm_id=firm.id,
        uscc=uscc,
        amount=rules.awarded_amount(row.ceiling, entry),
        selected_at=now,
        publicity_ends_at=rules.publicity_end(now, terms.after, calendar),
    )
    uow.session.add(award)
    row.publicity_ends_at = award.publicity_ends_at
    reschedule(uow, row)
    await uow.session.flush()
    await audit.record(
        uow,
        AWARD_ACTOR,
        "award:opened",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "award_id": award.id,
            "round": round_number,
            "rank": rank,
            "uscc": uscc,
            "amount": award.amount,
            "publicity_ends_at": award.publicity_ends_at,
        },
    )
    return award


async def award_at_publicity_end(
    uow: UnitOfWork, row: Procurement, now: datetime, terms: ProcurementTerms
) -> None:
    """The lifecycle's ``award`` step (its clock only offers it with no objection open): the
    procurement is awarded, both parties owe their confirmation of the contract by the
    limit, and the selection notice is left for :func:`market.award.documents.issue_pending`."""
    award = await current_award(uow, row.id, lock=True)
    if award is None:
        raise NotFound(f"procurement {row.reference} was selected without an award row")
    award.awarded_at = now
    award.contract_due_at = rules.contract_due(now, terms.after)
    row.publicity_ends_at = None
    action = await move(uow, row, "award", now)
    subject = limits.subject_of("award", award.id)
    due = award.contract_due_at
    await limits.start(uow, row, "contract_owner", subject, "owner", started_at=now, due_at=due)
    await limits.start(uow, row, "contract_firm", subject, "firm", started_at=now, due_at=due)
    await audit.record(
        uow,
        AWARD_ACTOR,
        action,
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "award_id": award.id,
            "uscc": award.uscc,
            "amount": award.amount,
            "contract_due_at": award.contract_due_at,
        },
    )
