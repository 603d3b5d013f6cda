"""The awarded firm's delivery (成果文件 / 竣工) and the owner's acceptance or return (验收).

While the procurement is ``contracted`` the firm's users deliver: an intermediary service
its result files (kept with their SHA-256 in ``case_file``), a small works its completion
report. The delivery is due at the end of the confirmed contract's term; the owner then owes
its acceptance within ``acceptance_working_days`` (a ``time_limit``). Accepting moves the
procurement to ``accepted`` and starts the evaluation's limit; returning it, with reasons,
moves it back to ``contracted`` and the firm delivers again (sequence 2, 3, …).

Every refusal comes before a write; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from market import audit, policy
from market.audit import Actor
from market.award import delivery_rules as rules
from market.award import limits
from market.award.case_files import FileEntry, Upload, files_of, store_files
from market.award.delivery_rules import ACCEPTED, RETURNED, DeliveryRefused
from market.award.records import current_award
from market.calendar_years import Calendars
from market.db import UnitOfWork
from market.errors import NotFound, PermissionDenied
from market.lifecycle.schedule import move
from market.models import Award, ContractSigning, Delivery, Procurement
from market.principal import Principal
from market.procurement import service
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms


def _refuse_status(row: Procurement, wanted: ProcurementStatus, act: str) -> None:
    if row.status is not wanted:
        raise DeliveryRefused(
            f"procurement {row.reference} is {row.status.label}: {act} only while it is {wanted.label}",
            procurement_status=row.status.value,
        )


async def _award_of(uow: UnitOfWork, row: Procurement) -> Award:
    award = await current_award(uow, row.id, lock=True)
    if award is None:
        raise DeliveryRefused(
            f"procurement {row.reference} has no current award", procurement_status=row.status.value
        )
    return award


async def contract_term_end(uow: UnitOfWork, award_id: int) -> datetime | None:
    """The end of the term both parties confirmed (the current, fully confirmed draft)."""
    data = await uow.session.scalar(
        select(ContractSigning.data).where(
            ContractSigning.award_id == award_id,
            ContractSigning.superseded_at.is_(None),
            ContractSigning.firm_confirmed_at.is_not(None),
        )
    )
    return rules.term_end(data)


async def deliver(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    *,
    note: str,
    files: Sequence[Upload],
    now: datetime,
    terms: ProcurementTerms,
) -> Delivery:
    """The awarded firm delivers; the owner then owes its acceptance."""
    row = await service.load(uow, principal, procurement_id, lock=True)
    award = await current_award(uow, row.id, lock=True)
    if award is None or not policy.acts_for_firm(principal, award.firm_id):
        raise PermissionDenied(
            "only the awarded firm's users deliver (交付成果)", procurement_id=procurement_id
        )
    _refuse_status(row, ProcurementStatus.CONTRACTED, "the firm delivers")
    text = rules.delivery_note(row.kind, note, len(files))
    done_before = await uow.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.award_id == award.id)
    )
    delivery = Delivery(
        procurement_id=row.id,
        award_id=award.id,
        sequence=int(done_before or 0) + 1,
        note=text,
        submitted_by=principal.user_id,
        submitted_at=now,
        due_at=await contract_term_end(uow, award.id),
    )
    uow.session.add(delivery)
    await uow.session.flush()
    stored = await store_files(uow, actor, row, "delivery", delivery.id, files, terms.attachments, now=now)
    action = await move(uow, row, "deliver", now)
    await audit.record(
        uow,
        actor,
        action,
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "delivery_id": delivery.id,
            "sequence": delivery.sequence,
            "due_at": delivery.due_at,
            "files": [{"name": f.name, "sha256": f.sha256} for f in stored],
        },
    )
    calendar = await Calendars().current(uow)
    await limits.start(
        uow,
        row,
        "acceptance",
        limits.subject_of("delivery", delivery.id),
        "owner",
        started_at=now,
        due_at=calendar.add_working_days(now, terms.after.acceptance_working_days),
    )
    return delivery


async def _for_decision(
    uow: UnitOfWork, principal: Principal, delivery_id: int
) -> tuple[Delivery, Procurement]:
    found = await uow.session.get(Delivery, delivery_id)
    if found is None:
        raise NotFound(f"there is no delivery {delivery_id}", delivery_id=delivery_id)
    # the procurement first, then the delivery: the order every writer of both takes
    row = await service.load(uow, principal, found.procurement_id, lock=True)
    if not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) accepts or returns a delivery", delivery_id=delivery_id
        )
    await uow.session.refresh(found, with_for_update=True)
    rules.check_open(found.decision, found.id)
    _refuse_status(row, ProcurementStatus.DELIVERED, "a delivery is accepted or returned")
    return found, row


async def _decide(
    uow: UnitOfWork, actor: Actor, principal: Principal, found: Delivery, row: Procurement, decision: str,
    reason: str, now: datetime,
) -> str:  # fmt: skip
    found.decision, found.decision_reason = decision, reason
    found.decided_by, found.decided_at = principal.user_id, now
    await uow.session.flush()
    await limits.done(uow, row, "acceptance", limits.subject_of("delivery", found.id), now)
    action = await move(uow, row, "accept" if decision == ACCEPTED else "return", now)
    details: dict[str, Any] = {
        "reference": row.reference,
        "delivery_id": found.id,
        "sequence": found.sequence,
    }
    if reason:
        details["reason"] = reason
    await audit.record(uow, actor, action, "procurement", row.id, details)
    return action


async def accept(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    delivery_id: int,
    *,
    now: datetime,
    terms: ProcurementTerms,
) -> Delivery:
    """The owner accepts the delivery; it then owes the evaluation within its limit."""
    found, row = await _for_decision(uow, principal, delivery_id)
    await _decide(uow, actor, principal, found, row, ACCEPTED, "", now)
    calendar = await Calendars().current(uow)
    await limits.start(
        uow,
        row,
        "evaluation",
        limits.subject_of("award", found.award_id),
        "owner",
        started_at=now,
        due_at=calendar.add_working_days(now, terms.after.evaluation_working_days),
    )
    return found


async def return_delivery(
    uow: UnitOfWork, actor: Actor, principal: Principal, delivery_id: int, *, reason: str, now: datetime
) -> Delivery:
    """The owner returns the delivery with its reasons; the firm delivers again."""
    found, row = await _for_decision(uow, principal, delivery_id)
    text = rules.checked_text(
        reason, "reason", rules.RETURN_REASON, "the reasons for returning (退回理由)", required=True
    )
    await _decide(uow, actor, principal, found, row, RETURNED, text, now)
    return found


# -- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """A delivery with its files (names, sizes, hashes; not the bytes)."""

    delivery: Delivery
    files: tuple[FileEntry, ...]
    on_time: bool


async def deliveries(uow: UnitOfWork, principal: Principal | None, procurement_id: int) -> list[DeliveryLine]:
    """The deliveries to the procurement's current award, latest first: the two parties'
    and the officials' to read; anybody else learns nothing of them."""
    row = await service.load(uow, principal, procurement_id)
    award = await current_award(uow, row.id)
    if award is None or not policy.may_read_delivery(principal, row.owner_organisation_id, award.firm_id):
        raise NotFound(
            f"procurement {procurement_id} has no deliveries you may read", procurement_id=procurement_id
        )
    found = await uow.session.scalars(
        select(Delivery).where(Delivery.award_id == award.id).order_by(Delivery.sequence.desc())
    )
    return [
        DeliveryLine(d, tuple(await files_of(uow, "delivery", d.id)), rules.on_time(d.submitted_at, d.due_at))
        for d in found
    ]


async def award_of_firm(uow: UnitOfWork, principal: Principal, award_id: int) -> tuple[Award, Procurement]:
    """An award as its firm's page shows it; another firm (or nobody's) award is unknown."""
    award = await uow.session.get(Award, award_id)
    if award is None or not policy.acts_for_firm(principal, award.firm_id):
        raise NotFound(f"your firm has no award {award_id}", award_id=award_id)
    row = await service.load(uow, principal, award.procurement_id)
    return award, row
