"""Offering a small works to the drawn contractor, and its answer (确认 / 放弃).

At the selection (:func:`market.draw.steps.select`) a pool draw that selected opens the first
offer (:func:`open_next`); the firm's users confirm or decline it before its limit
(:func:`answer`); the lifecycle's ``lapse_offer`` step closes one left unanswered
(:func:`lapse`). A decline or a lapse passes the works to the next firm of the record; with
none left the procurement fails (流标). Each change is audited and moves
``procurement.offer_due_at``, which the lifecycle's clock reads. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from market import audit
from market.audit import Actor
from market.award.records import open_award
from market.calendar_years import Calendars
from market.db import UnitOfWork
from market.draw import offer_rules as rules
from market.draw.offer_rules import CONFIRMED, DECLINED, LAPSED, OfferState
from market.lifecycle.schedule import move
from market.models import ContractorOffer, Organisation, Procurement, SelectionRecordRow
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from selection.record import SelectionRecord

OFFER_ACTOR = Actor.system("抽取确认（系统）")


def _state(offer: ContractorOffer) -> OfferState:
    return OfferState(offer.id, offer.firm_id, offer.due_at, offer.answer)


async def _order(uow: UnitOfWork, row: Procurement, round_number: int) -> list[str]:
    stored = await uow.session.scalar(
        select(SelectionRecordRow.record).where(
            SelectionRecordRow.procurement_id == row.id, SelectionRecordRow.round == round_number
        )
    )
    assert stored is not None, "an offer follows a stored selection record"
    record = SelectionRecord.from_json(stored)
    return rules.order_of(record.winners, record.alternates)


async def _offers(uow: UnitOfWork, procurement_id: int, round_number: int) -> list[ContractorOffer]:
    found = await uow.session.scalars(
        select(ContractorOffer)
        .where(ContractorOffer.procurement_id == procurement_id, ContractorOffer.round == round_number)
        .order_by(ContractorOffer.rank)
    )
    return list(found)


async def open_next(
    uow: UnitOfWork,
    row: Procurement,
    round_number: int,
    now: datetime,
    terms: ProcurementTerms,
    *,
    drawn: Mapping[str, Any] | None = None,
) -> ContractorOffer | None:
    """Offer the works of the locked ``row`` to the next firm of its record: the first right
    after the draw (``frozen``; ``drawn`` is the record's audit details, kept in the same
    entry), later ones when an offer was declined or lapsed (``confirming``). With none left,
    fail it. The new offer, or None when it failed."""
    asked = await uow.session.scalar(
        select(func.count())
        .select_from(ContractorOffer)
        .where(ContractorOffer.procurement_id == row.id, ContractorOffer.round == round_number)
    )
    following = rules.next_rank(await _order(uow, row, round_number), int(asked or 0))
    if following is None:
        row.offer_due_at = None
        action = await move(uow, row, "fail", now)
        await audit.record(
            uow,
            OFFER_ACTOR,
            action,
            "procurement",
            row.id,
            {"reference": row.reference, "round": round_number, "failure": rules.NONE_CONFIRMED},
        )
        return None
    rank, uscc = following
    firm_id = await uow.session.scalar(select(Organisation.id).where(Organisation.uscc == uscc))
    assert firm_id is not None, f"the drawn firm {uscc} is in the registry"
    calendar = await Calendars().current(uow)
    due = rules.due_at(now, terms.of(row.kind).offer_working_days, calendar)
    offer = ContractorOffer(
        procurement_id=row.id,
        round=round_number,
        rank=rank,
        firm_id=firm_id,
        uscc=uscc,
        offered_at=now,
        due_at=due,
    )
    uow.session.add(offer)
    row.offer_due_at = due
    action = await move(uow, row, "offer" if rank == 1 else "pass", now)
    await audit.record(
        uow,
        OFFER_ACTOR,
        action,
        "procurement",
        row.id,
        {
            **(drawn or {}),
            "reference": row.reference,
            "round": round_number,
            "rank": rank,
            "uscc": uscc,
            "due_at": due,
        },
    )
    return offer


async def _locked_procurement(uow: UnitOfWork, procurement_id: int) -> Procurement:
    row = await uow.session.scalar(
        select(Procurement)
        .where(Procurement.id == procurement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def _close(
    uow: UnitOfWork,
    actor: Actor,
    offer: ContractorOffer,
    answer: str,
    reason: str,
    by: int | None,
    now: datetime,
) -> None:
    offer.answer, offer.answered_at, offer.answered_by, offer.reason = answer, now, by, reason
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        f"offer:{answer}",
        "contractor_offer",
        offer.id,
        {
            "procurement_id": offer.procurement_id,
            "round": offer.round,
            "rank": offer.rank,
            "uscc": offer.uscc,
            "due_at": offer.due_at,
            **({"reason": reason} if reason else {}),
        },
    )


async def answer(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    offer_id: int,
    given: str,
    reason: str,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> ContractorOffer:
    """The firm's answer to its offer: ``confirmed`` selects it, ``declined`` (with a reason)
    passes the works on. Refused with nothing written (see :func:`offer_rules.check_answer`)."""
    firm_id = principal.organisation_id if Role.CONTRACTOR in principal.roles else None
    offer = await uow.session.get(ContractorOffer, offer_id)
    if offer is None:
        raise rules.not_found(offer_id)
    # the procurement first, then the offer: the lifecycle's lapse locks in the same order
    row = await _locked_procurement(uow, offer.procurement_id)
    await uow.session.refresh(offer, with_for_update=True)
    reason = rules.check_answer(_state(offer), firm_id, now, given, reason)
    if row.status is not ProcurementStatus.CONFIRMING:  # cancelled meanwhile
        raise rules.OfferClosed(
            f"procurement {row.reference} is {row.status.label}: its offers are closed",
            procurement_status=row.status.value,
        )
    await _close(uow, actor, offer, given, reason, principal.user_id, now)
    if given == CONFIRMED:
        row.offer_due_at = None
        action = await move(uow, row, "confirm", now)
        details = {"reference": row.reference, "round": offer.round, "rank": offer.rank, "uscc": offer.uscc}
        await audit.record(uow, actor, action, "procurement", row.id, details)
        # the confirmed contractor's result is published (issue 13)
        await open_award(uow, row, round_number=offer.round, rank=offer.rank, now=now, terms=terms)
    else:
        await open_next(uow, row, offer.round, now, terms)
    return offer


async def lapse(uow: UnitOfWork, row: Procurement, now: datetime, terms: ProcurementTerms) -> None:
    """The lifecycle's ``lapse_offer``: the open offer of the locked ``row`` that is past its
    limit is closed as lapsed and the works passed on. Idempotent."""
    if row.status is not ProcurementStatus.CONFIRMING:
        return
    for offer in await _offers(uow, row.id, await _round_of(uow, row)):
        if rules.lapsed(_state(offer), now):
            await _close(uow, OFFER_ACTOR, offer, LAPSED, "", None, now)
            await open_next(uow, row, offer.round, now, terms)
            return


async def _round_of(uow: UnitOfWork, row: Procurement) -> int:
    latest = await uow.session.scalar(
        select(func.max(ContractorOffer.round)).where(ContractorOffer.procurement_id == row.id)
    )
    return int(latest or 1)


__all__ = ["CONFIRMED", "DECLINED", "LAPSED", "answer", "lapse", "open_next"]
