"""Objections (质疑) to a published result, the owner's answer, the complaint (投诉) to a
supervisor, and what an upheld one does (the rules are :mod:`market.award.objection_rules`).

While an objection or a complaint is open, ``procurement.objections_open`` counts it and the
lifecycle does not award (the clock offers no ``award`` step). An upheld one voids the
result (:func:`void`): the other objections of that award are closed as moot, and by the
kind's rule (``terms.after.upheld_objection_of``) either the next alternate takes the place
(:func:`market.award.succession.pass_to_next`) or the award ends and the draw runs again as a
new round (:mod:`market.draw.redraw`).

Every function takes the caller's unit of work and the time, locks the procurement before
the objection (the lifecycle locks the procurement first too), checks everything before it
writes, and audits; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.award import limits, succession
from market.award import objection_rules as rules
from market.award.case_files import Subject, Upload, checked, store_files
from market.award.records import current_award
from market.calendar_years import Calendars
from market.db import UnitOfWork
from market.draw import redraw
from market.errors import NotFound, PermissionDenied
from market.lifecycle.schedule import move, reschedule
from market.models import Award, BidOpening, DrawRound, Firm, Objection, Procurement
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from market.sealed.keys import KeyEncryptionKey

FIRM_ROLES = frozenset({Role.INTERMEDIARY, Role.CONTRACTOR})


def firm_of(principal: Principal | None) -> int | None:
    """The firm a signed-in intermediary's or contractor's account acts for."""
    if principal is None or not (principal.roles & FIRM_ROLES):
        return None
    return principal.organisation_id


async def _locked(uow: UnitOfWork, procurement_id: int) -> Procurement:
    row = await uow.session.scalar(
        select(Procurement)
        .where(Procurement.id == procurement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    return row


async def is_respondent(uow: UnitOfWork, row: Procurement, award: Award, firm_id: int) -> bool:
    """A firm with a counted bid in the opening list, or (a kind without bids) a firm of the
    pool frozen for the award's round."""
    if row.bid_deadline is not None:
        opening = await uow.session.get(BidOpening, row.id)
        return any(int(e["firm_id"]) == firm_id for e in (opening.entries if opening else []) if e["counted"])
    draw = await uow.session.get(DrawRound, (row.id, award.round))
    if draw is None or draw.frozen_documents is None:
        return False
    uscc = await uow.session.scalar(select(Firm.uscc).where(Firm.id == firm_id))
    return uscc in draw.frozen_documents["candidates"]["candidates"]


async def lodge(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    grounds: object,
    files: Sequence[Upload],
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> Objection:
    """A respondent's objection to the current award, during its publicity; the award waits
    for it and the owner owes an answer within ``objection_answer_working_days``."""
    firm_id = firm_of(principal)
    if firm_id is None:
        raise rules.NotARespondent("an objection is lodged by a firm's account (中介机构 or 施工企业)")
    text = rules.text(grounds, "grounds", rules.GROUNDS)
    row = await _locked(uow, procurement_id)
    if not row.status.public:
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    award = await current_award(uow, row.id, lock=True)
    respondent = award is not None and await is_respondent(uow, row, award, firm_id)
    before = award is not None and (
        await uow.session.scalar(
            select(Objection.id).where(Objection.award_id == award.id, Objection.firm_id == firm_id)
        )
        is not None
    )
    rules.check_lodging(
        row.status,
        award.publicity_ends_at if award is not None and row.status is ProcurementStatus.SELECTED else None,
        now,
        respondent=respondent,
        is_winner=award is not None and award.firm_id == firm_id,
        lodged_before=before,
    )
    assert award is not None
    checked(files, terms.attachments)  # a bad file refuses the objection before anything is written
    calendar = await Calendars().current(uow)
    due = calendar.add_working_days(now, terms.after.objection_answer_working_days)
    objection = Objection(
        procurement_id=row.id,
        award_id=award.id,
        firm_id=firm_id,
        lodged_by=principal.user_id,
        lodged_at=now,
        grounds=text,
        against_firm_id=award.firm_id,
        status="open",
        answer_due_at=due,
    )
    uow.session.add(objection)
    await uow.session.flush()
    await _open_case(
        uow, actor, principal, row, objection, "objection", files, now, terms=terms,
        limit="objection_answer", owed_by="owner", due=due, action="objection:lodged",
        details={"award_id": award.id, "against_firm_id": award.firm_id, "answer_due_at": due},
    )  # fmt: skip
    return objection


async def _open_case(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    row: Procurement,
    objection: Objection,
    kind: Subject,
    files: Sequence[Upload],
    now: datetime,
    *,
    terms: ProcurementTerms,
    limit: limits.LimitAction,
    owed_by: limits.Party,
    due: datetime,
    action: str,
    details: dict[str, Any],
) -> None:
    """What lodging an objection and complaining share: the files kept (hashes in the entry),
    the award held by one more open case, the answer's time limit started, the audit entry."""
    stored = await store_files(
        uow, actor, row, kind, objection.id, files, terms.attachments, now=now, uploaded_by=principal.user_id
    )
    row.objections_open += 1
    reschedule(uow, row)
    subject = limits.subject_of("objection", objection.id)
    await limits.start(uow, row, limit, subject, owed_by, started_at=now, due_at=due)
    await audit.record(
        uow,
        actor,
        action,
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "objection_id": objection.id,
            **details,
            "files": [f.sha256 for f in stored],
        },
    )


async def _objection(
    uow: UnitOfWork, objection_id: int
) -> tuple[Procurement, Objection, rules.ObjectionState]:
    found = await uow.session.get(Objection, objection_id)
    if found is None:
        raise rules.not_found(objection_id)
    row = await _locked(uow, found.procurement_id)
    await uow.session.refresh(found, with_for_update=True)
    award = await current_award(uow, row.id)
    state = rules.ObjectionState(
        found.id, found.status, found.answer_decision, award is not None and award.id == found.award_id
    )
    return row, found, state


async def _closed_one(uow: UnitOfWork, row: Procurement) -> None:
    row.objections_open = max(0, row.objections_open - 1)
    reschedule(uow, row)
    await uow.session.flush()


async def answer(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    bid_key: KeyEncryptionKey,
    objection_id: int,
    decision: object,
    answer_text: object,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> Objection:
    """The owner's answer. Dismissed: the objector may complain; the publicity is moved so it
    keeps the working days to (公示期顺延). Upheld: the result is void."""
    row, objection, state = await _objection(uow, objection_id)
    if not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "an objection is answered by the owner's organisation (业主) of the procurement"
        )
    given = rules.decision(decision)
    text = rules.text(answer_text, "answer", rules.ANSWER)
    rules.check_answer(state)
    objection.answer, objection.answer_decision = text, given
    objection.answered_by, objection.answered_at = principal.user_id, now
    objection.outcome = given
    objection.status = "closed" if given == "upheld" else "answered"
    await limits.done(uow, row, "objection_answer", limits.subject_of("objection", objection.id), now)
    await _closed_one(uow, row)
    details: dict[str, object] = {"reference": row.reference, "objection_id": objection.id, "decision": given}
    if given == "dismissed":
        award = await current_award(uow, row.id, lock=True)
        assert award is not None
        calendar = await Calendars().current(uow)
        ends = rules.extended_publicity(
            award.publicity_ends_at, now, terms.after.objection_answer_working_days, calendar
        )
        if ends != award.publicity_ends_at:
            award.publicity_ends_at = row.publicity_ends_at = ends
            details["publicity_ends_at"] = ends
            reschedule(uow, row)
        await uow.session.flush()
    await audit.record(uow, actor, "objection:answered", "procurement", row.id, details)
    if given == "upheld":
        await void(uow, actor, bid_key, row, objection, now, terms=terms)
    return objection


async def complain(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    objection_id: int,
    grounds: object,
    files: Sequence[Upload],
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> Objection:
    """The objector, not satisfied with a dismissal, complains to a supervisor before the
    award; the award waits again and a supervisor owes a decision."""
    row, objection, state = await _objection(uow, objection_id)
    if firm_of(principal) != objection.firm_id:
        raise PermissionDenied("a complaint (投诉) is made by the firm that objected")
    text = rules.text(grounds, "grounds", rules.GROUNDS)
    rules.check_complaint(state, row.status)
    checked(files, terms.attachments)
    calendar = await Calendars().current(uow)
    due = calendar.add_working_days(now, terms.after.complaint_decision_working_days)
    objection.status, objection.outcome = "complaint", None
    objection.complaint_grounds, objection.complained_by, objection.complained_at = (
        text,
        principal.user_id,
        now,
    )
    objection.decision_due_at = due
    await uow.session.flush()
    await _open_case(
        uow, actor, principal, row, objection, "complaint", files, now, terms=terms,
        limit="complaint_decision", owed_by="supervisor", due=due, action="objection:complained",
        details={"decision_due_at": due},
    )  # fmt: skip
    return objection


async def decide(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    bid_key: KeyEncryptionKey,
    objection_id: int,
    decision: object,
    note: object,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> Objection:
    """A supervisor (never of the owner's organisation) decides a complaint."""
    if Role.SUPERVISOR not in principal.roles:
        raise PermissionDenied("a complaint (投诉) is decided by a supervisor (监督)")
    row, objection, state = await _objection(uow, objection_id)
    if principal.organisation_id is not None and principal.organisation_id == row.owner_organisation_id:
        raise PermissionDenied("a complaint is decided outside the owner's organisation")
    given = rules.decision(decision)
    text = rules.text(note, "note", rules.NOTE)
    rules.check_decision(state)
    objection.decision, objection.decision_note = given, text
    objection.decided_by, objection.decided_at = principal.user_id, now
    objection.outcome, objection.status = given, "closed"
    await limits.done(uow, row, "complaint_decision", limits.subject_of("objection", objection.id), now)
    await _closed_one(uow, row)
    details = {"reference": row.reference, "objection_id": objection.id, "decision": given}
    await audit.record(uow, actor, "objection:decided", "procurement", row.id, details)
    if given == "upheld":
        if not state.award_current or row.status is not ProcurementStatus.SELECTED:
            return objection  # the result was voided or awarded meanwhile: nothing left to void
        await void(uow, actor, bid_key, row, objection, now, terms=terms)
    return objection


async def void(
    uow: UnitOfWork,
    actor: Actor,
    bid_key: KeyEncryptionKey,
    row: Procurement,
    upheld: Objection,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> None:
    """The result ``upheld`` questioned is void: the award's other objections close as moot,
    then the next alternate takes the place or a new round is drawn (the kind's rule)."""
    award = await uow.session.get(Award, upheld.award_id, with_for_update=True)
    assert award is not None
    others = list(
        await uow.session.scalars(
            select(Objection).where(
                Objection.award_id == award.id, Objection.id != upheld.id, Objection.status != "closed"
            )
        )
    )
    note = rules.MOOT_NOTE.format(upheld=upheld.id)
    for other in others:
        other.status, other.decision_note = "closed", note
    await uow.session.flush()
    await limits.cancel(uow, row, now, subjects=[limits.subject_of("objection", o.id) for o in others])
    row.objections_open = 0
    reason = f"objection {upheld.id} upheld (质疑成立)"
    cause = {
        "objection_id": upheld.id,
        "against_firm_id": upheld.against_firm_id,
        "moot": [o.id for o in others],
    }
    if terms.after.upheld_objection_of(str(row.kind)) == "next_alternate":
        await succession.pass_to_next(
            uow,
            actor,
            row,
            award,
            ending="voided",
            note=reason,
            now=now,
            terms=terms,
            excluded_firm_ids=[upheld.against_firm_id],
        )
        return
    await succession.end_award(uow, actor, row, award, "voided", reason, now)
    action = await move(uow, row, "void", now)
    await audit.record(uow, actor, action, "procurement", row.id, {"reference": row.reference, **cause})
    calendar = await Calendars().current(uow)
    await redraw.open_round(uow, bid_key, row, now, terms=terms, calendar=calendar, cause=cause)
    reschedule(uow, row)
    await uow.session.flush()
