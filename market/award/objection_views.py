"""Objections as their readers see them: the objector's firm (its own), the owner's
organisation (those of its procurement), supervisors (every open one, every complaint, every
answer overdue) and administrators. Nobody else reads an objection or its files: the grounds
name firms and may carry evidence that is not public. The public sees only counts (the
publicity page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from market import policy
from market.award import case_files
from market.award.case_files import FileEntry
from market.award.objection_rules import DECISION_LABELS, STATE_LABELS, not_found
from market.award.objections import firm_of
from market.db import UnitOfWork
from market.errors import NotFound, PermissionDenied
from market.models import Award, CaseFile, Delivery, Objection, Organisation, Procurement
from market.principal import Principal, Role

_Query = Select[Objection, Procurement, str, str, datetime | None]


@dataclass(frozen=True, slots=True)
class ObjectionLine:
    id: int
    procurement_id: int
    reference: str
    title: str
    objector: str
    against: str
    status: str
    lodged_at: datetime
    grounds: str
    answer_due_at: datetime
    answer: str
    answer_decision: str | None
    answered_at: datetime | None
    complaint_grounds: str
    complained_at: datetime | None
    decision_due_at: datetime | None
    decision: str | None
    decision_note: str
    decided_at: datetime | None
    outcome: str | None
    procurement_status: str
    award_current: bool
    files: tuple[FileEntry, ...] = ()
    complaint_files: tuple[FileEntry, ...] = ()

    @property
    def status_label(self) -> str:
        return STATE_LABELS[self.status]

    @property
    def outcome_label(self) -> str:
        return DECISION_LABELS.get(self.outcome or "", "")

    def overdue(self, now: datetime) -> bool:
        """Owed and past its limit: the owner's answer, or a supervisor's decision."""
        if self.status == "open":
            return now > self.answer_due_at
        return self.status == "complaint" and self.decision_due_at is not None and now > self.decision_due_at

    def may_complain(self) -> bool:
        return (
            self.status == "answered"
            and self.answer_decision == "dismissed"
            and self.award_current
            and self.procurement_status == "selected"
        )


def _query() -> _Query:
    objector, against = aliased(Organisation), aliased(Organisation)
    return (
        select(Objection, Procurement, objector.name, against.name, Award.ended_at)
        .join(Procurement, Procurement.id == Objection.procurement_id)
        .join(Award, Award.id == Objection.award_id)
        .join(objector, objector.id == Objection.firm_id)
        .join(against, against.id == Objection.against_firm_id)
    )


async def _lines(
    uow: UnitOfWork,
    query: _Query,
    *,
    files: bool = False,
) -> list[ObjectionLine]:
    lines = []
    for objection, row, objector, against, ended_at in (await uow.session.execute(query)).all():
        lodged: Sequence[FileEntry] = ()
        complained: Sequence[FileEntry] = ()
        if files:
            lodged = await case_files.files_of(uow, "objection", objection.id)
            complained = await case_files.files_of(uow, "complaint", objection.id)
        lines.append(
            ObjectionLine(
                id=objection.id,
                procurement_id=row.id,
                reference=row.reference or "",
                title=row.title,
                objector=objector,
                against=against,
                status=objection.status,
                lodged_at=objection.lodged_at,
                grounds=objection.grounds,
                answer_due_at=objection.answer_due_at,
                answer=objection.answer,
                answer_decision=objection.answer_decision,
                answered_at=objection.answered_at,
                complaint_grounds=objection.complaint_grounds,
                complained_at=objection.complained_at,
                decision_due_at=objection.decision_due_at,
                decision=objection.decision,
                decision_note=objection.decision_note,
                decided_at=objection.decided_at,
                outcome=objection.outcome,
                procurement_status=row.status.value,
                award_current=ended_at is None,
                files=tuple(lodged),
                complaint_files=tuple(complained),
            )
        )
    return lines


def may_read(principal: Principal | None, owner_organisation_id: int, firm_ids: Sequence[int]) -> bool:
    """The firms concerned, the owner's organisation, supervisors and administrators."""
    if principal is None:
        return False
    if policy.is_official(principal) or policy.acts_for_owner(principal, owner_organisation_id):
        return True
    firm = firm_of(principal)
    return firm is not None and firm in firm_ids


async def mine(uow: UnitOfWork, principal: Principal) -> list[ObjectionLine]:
    """The objections the principal's firm lodged, newest first, with their files."""
    firm = firm_of(principal)
    if firm is None:
        raise PermissionDenied("a firm's account (中介机构 or 施工企业) sees its objections here")
    return await _lines(
        uow, _query().where(Objection.firm_id == firm).order_by(Objection.id.desc()), files=True
    )


async def of_procurement(
    uow: UnitOfWork, principal: Principal, procurement_id: int
) -> tuple[Procurement, list[ObjectionLine]]:
    """The objections of a procurement, for its owner's organisation and officials."""
    row = await uow.session.get(Procurement, procurement_id)
    if row is None or not row.status.public:
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    if not (policy.is_official(principal) or policy.acts_for_owner(principal, row.owner_organisation_id)):
        raise PermissionDenied("a procurement's objections are read by its owner's organisation (业主)")
    query = _query().where(Objection.procurement_id == row.id).order_by(Objection.id)
    return row, await _lines(uow, query, files=True)


async def supervision(uow: UnitOfWork, principal: Principal) -> list[ObjectionLine]:
    """Every objection still owed an answer and every complaint owed a decision, earliest
    limit first (the page marks the overdue ones)."""
    if Role.SUPERVISOR not in principal.roles and Role.ADMIN not in principal.roles:
        raise PermissionDenied("the objections under supervision are read by supervisors (监督)")
    query = (
        _query()
        .where(or_(Objection.status == "open", Objection.status == "complaint"))
        .order_by(Objection.answer_due_at, Objection.id)
    )
    return await _lines(uow, query, files=True)


async def one(uow: UnitOfWork, principal: Principal | None, objection_id: int) -> ObjectionLine:
    found = await _lines(uow, _query().where(Objection.id == objection_id), files=True)
    if not found:
        raise not_found(objection_id)
    line = found[0]
    objection = await uow.session.get(Objection, objection_id)
    row = await uow.session.get(Procurement, line.procurement_id)
    assert objection is not None and row is not None
    if not may_read(principal, row.owner_organisation_id, [objection.firm_id]):
        raise not_found(objection_id)
    return line


async def readable_file(
    uow: UnitOfWork, principal: Principal | None, file_id: int
) -> case_files.StoredCaseFile:
    """A case file for whoever may read its subject; a 404 for anyone else (its existence
    is not told)."""
    meta = await uow.session.get(CaseFile, file_id)
    if meta is None:
        raise NotFound(f"there is no case file {file_id} you may read", file_id=file_id)
    row = await uow.session.get(Procurement, meta.procurement_id)
    assert row is not None
    firms: list[int] = []
    if meta.subject in ("objection", "complaint"):
        objection = await uow.session.get(Objection, meta.subject_id)
        firms = [] if objection is None else [objection.firm_id]
    else:  # a delivery: the delivering firm
        firm = await uow.session.scalar(
            select(Award.firm_id)
            .join(Delivery, Delivery.award_id == Award.id)
            .where(Delivery.id == meta.subject_id)
        )
        firms = [] if firm is None else [firm]
    if not may_read(principal, row.owner_organisation_id, firms):
        raise NotFound(f"there is no case file {file_id} you may read", file_id=file_id)
    return await case_files.download(uow, file_id)
