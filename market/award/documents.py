"""The platform issues an award's notices for the procurement's owner organisation: the
result notice (成交结果公示) once the award opens, the selection notice (中选通知书) once
it is awarded. :func:`issue_pending` is what the scheduler runs after each lifecycle pass.

Rendering and sealing take a second or two, so a notice is never issued inside the step
that opened or awarded the award (that step holds the procurement's row lock): each
notice is issued afterwards in its own transaction, under an advisory lock on the award
and the kind, so two processes never both issue it, and a failure (an owner organisation
without a USCC, a worker that died) is logged and tried again on the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

import contracts
from market import audit, audit_checkpoints, documents
from market.audit import Actor
from market.award import document_data
from market.award.document_data import AwardFacts, PartyFacts
from market.db import Database, UnitOfWork
from market.document_office import DocumentOffice
from market.errors import MarketError, NotFound
from market.models import Award, Firm, IssuedDocument, Organisation, Procurement, SelectionRecordRow
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from selection.record import SelectionRecord

log = logging.getLogger("market.award.documents")

ISSUER = Actor.system("平台签发（代业主）")
AWARD_DOCUMENT_LOCKS = 0x617764  # advisory-lock class: one issue per award and notice kind
RESULT, SELECTION = contracts.DocumentKind.RESULT_NOTICE, contracts.DocumentKind.SELECTION_NOTICE


@dataclass(frozen=True, slots=True)
class Pending:
    award_id: int
    kind: contracts.DocumentKind


async def pending(uow: UnitOfWork) -> list[Pending]:
    """Current awards without their result notice, then awarded ones without their selection
    notice (an ended award's notices are moot: its successor's supersede them)."""
    current = Award.ended_at.is_(None)
    results = await uow.session.scalars(
        select(Award.id).where(current, Award.result_notice_id.is_(None)).order_by(Award.id)
    )
    selections = await uow.session.scalars(
        select(Award.id)
        .where(current, Award.awarded_at.is_not(None), Award.selection_notice_id.is_(None))
        .order_by(Award.id)
    )
    return [Pending(i, RESULT) for i in results] + [Pending(i, SELECTION) for i in selections]


async def load_facts(
    uow: UnitOfWork, award: Award, *, terms: ProcurementTerms, vocabulary: Vocabulary
) -> AwardFacts:
    """What the notices of ``award`` print, read from the stored rows."""
    row = await uow.session.get(Procurement, award.procurement_id)
    owner = await uow.session.get(Organisation, row.owner_organisation_id) if row else None
    firm = await uow.session.get(Firm, award.firm_id)
    stored = await uow.session.scalar(
        select(SelectionRecordRow).where(
            SelectionRecordRow.procurement_id == award.procurement_id, SelectionRecordRow.round == award.round
        )
    )
    if row is None or row.reference is None or owner is None or firm is None or stored is None:
        raise NotFound(f"award {award.id} misses its procurement, owner, firm or selection record")
    record = SelectionRecord.from_json(stored.record)
    candidates = [str(c) for c in record.data.get("inputs", {}).get("candidates", [])]
    named = await uow.session.execute(
        select(Organisation.uscc, Organisation.name).where(Organisation.uscc.in_(candidates))
    )
    ordinal = await uow.session.scalar(
        select(func.count()).where(Award.procurement_id == row.id, Award.id <= award.id)
    )
    kind_terms = terms.of(row.kind)
    method, variant = str(row.terms.get("method", "")), row.terms.get("variant")
    option = kind_terms.method(method, variant)
    checkpoint = await audit_checkpoints.for_notice(uow, row.id)
    category_code = row.service_type or row.work_field or ""
    names = vocabulary.service_types if row.service_type else vocabulary.work_fields
    return AwardFacts(
        reference=row.reference,
        title=row.title,
        kind=row.kind.value,
        category=names.name(category_code) if category_code else kind_terms.name,
        location=vocabulary.divisions.name(row.division_code),
        contact_name=str(row.terms.get("contact_name") or ""),
        contact_phone=str(row.terms.get("contact_phone") or ""),
        owner=PartyFacts(
            owner.name, owner.uscc, owner.address, owner.representative, phone=owner.contact_phone
        ),
        winner=PartyFacts(
            firm.organisation.name,
            firm.uscc,
            firm.organisation.address,
            firm.legal_representative,
            firm.contact_name,
            firm.contact_phone,
        ),
        amount=award.amount,
        award_id=award.id,
        ordinal=int(ordinal or 1),
        round=award.round,
        selected_at=award.selected_at,
        publicity_ends_at=award.publicity_ends_at,
        awarded_at=award.awarded_at,
        contract_due_at=award.contract_due_at,
        method_code=method if variant is None else f"{method}/{variant}",
        method_name=option.name if option is not None else method,
        record_digest=stored.digest,
        participants=document_data.participant_names(candidates, {u: n for u, n in named if u}),
        objection_contact=terms.after.objection_contact,
        checkpoint=None
        if checkpoint is None
        else contracts.ChainCheckpoint(checkpoint.seq, checkpoint.hash, checkpoint.published_at),
    )


def build(kind: contracts.DocumentKind, facts: AwardFacts) -> contracts.Document:
    if kind is RESULT:
        return document_data.result_notice(facts)
    return document_data.selection_notice(facts)


async def issue_one(
    uow: UnitOfWork,
    office: DocumentOffice,
    item: Pending,
    *,
    terms: ProcurementTerms,
    vocabulary: Vocabulary,
) -> IssuedDocument | None:
    """Issue one pending notice in ``uow`` (not committed); None when another process holds
    it or it is no longer pending."""
    key = item.award_id * 2 + int(item.kind is SELECTION)
    taken = await uow.session.scalar(select(func.pg_try_advisory_xact_lock(AWARD_DOCUMENT_LOCKS, key)))
    if not taken:
        return None
    award = await uow.session.get(Award, item.award_id, populate_existing=True)
    column = Award.result_notice_id if item.kind is RESULT else Award.selection_notice_id
    if award is None or award.ended_at is not None or getattr(award, column.key) is not None:
        return None
    facts = await load_facts(uow, award, terms=terms, vocabulary=vocabulary)
    row = await uow.session.get(Procurement, award.procurement_id)
    assert row is not None
    issued = await documents.issue_for_procurement(
        uow, ISSUER, office, build(item.kind, facts), row.owner_organisation_id
    )
    # a plain UPDATE of the one column: the lifecycle may have moved the award meanwhile
    await uow.session.execute(
        update(Award).where(Award.id == award.id, column.is_(None)).values({column.key: issued.id})
    )
    return issued


async def issue_pending(
    database: Database,
    office: DocumentOffice,
    now: datetime,
    *,
    terms: ProcurementTerms,
    vocabulary: Vocabulary,
) -> int:
    """Issue every pending notice, each in its own transaction; the number issued. ``now``
    only dates the log line: every date on a notice comes from the stored times."""
    async with database.unit_of_work() as uow:
        items: Sequence[Pending] = await pending(uow)
    if any(item.kind is RESULT for item in items):
        # seal the selections first, so that each result notice prints the checkpoint
        # published at its own selection (market.audit_checkpoints.for_notice)
        await audit.seal_pending(database)
    issued = 0
    for item in items:
        try:
            async with database.unit_of_work() as uow:
                row = await issue_one(uow, office, item, terms=terms, vocabulary=vocabulary)
                await uow.commit()
        except MarketError as refused:  # data to complete (an owner without a USCC): said, no trace
            log.warning("the %s of award %s waits: %s", item.kind.value, item.award_id, refused)
            continue
        except Exception:  # the next pass tries again; the others go on
            log.exception("issuing the %s of award %s failed (at %s)", item.kind.value, item.award_id, now)
            continue
        if row is not None:
            issued += 1
            log.info("issued %s %s of award %s", item.kind.value, row.document_number, item.award_id)
    return issued
