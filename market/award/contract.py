"""The contract both parties confirm online (中介服务合同 / 小额工程施工合同): the owner
drafts it, confirms it, then the awarded firm confirms it; the PDF recording both
confirmations is the one issued, and the procurement is contracted.

Each draft is a ``contract_signing`` row: its data (the owner's terms, everything else from
stored data — the parties from their organisations, the amount from the award, the
procurement block from the procurement) and the digest both parties confirm
(:func:`contracts.confirmable_digest`: SHA-256 of the canonical data without confirmations).
A re-draft before the firm confirmed supersedes the current one (sequence + 1) and the owner
confirms again. The refusals are :mod:`market.award.contract_rules`'; a refusal writes
nothing. The caller commits.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

import contracts
from market import audit, documents, policy
from market.audit import Actor
from market.award import contract_rules as rules
from market.award import limits
from market.award.records import current_award
from market.clock import local_day
from market.db import UnitOfWork
from market.document_office import DocumentOffice
from market.errors import Conflict, NotFound, PermissionDenied
from market.lifecycle.schedule import move
from market.models import (
    Award,
    ContractSigning,
    Firm,
    IssuedDocument,
    Organisation,
    Procurement,
    TimeLimit,
    User,
)
from market.outside_errors import translated_errors
from market.principal import Principal, Role
from market.procurement.service import load, stored_terms
from market.registry.vocabulary import Vocabulary

FIRM_ROLES = (Role.INTERMEDIARY, Role.CONTRACTOR)


async def locked(uow: UnitOfWork, principal: Principal | None, procurement_id: int) -> Procurement:
    """The procurement the principal may see, locked and read afresh (the lifecycle and the
    other party may be acting on it)."""
    await load(uow, principal, procurement_id)
    row = await uow.session.scalar(
        select(Procurement)
        .where(Procurement.id == procurement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def side_of(principal: Principal, row: Procurement, award: Award | None) -> rules.Side | None:
    """Which party the principal confirms for: the owner's organisation (甲方) or the firm (乙方)."""
    if policy.acts_for_owner(principal, row.owner_organisation_id):
        return "owner"
    if award is not None and principal.organisation_id == award.firm_id and principal.has_any(FIRM_ROLES):
        return "firm"
    return None


async def current_signing(uow: UnitOfWork, award_id: int, *, lock: bool = False) -> ContractSigning | None:
    query = select(ContractSigning).where(
        ContractSigning.award_id == award_id, ContractSigning.superseded_at.is_(None)
    )
    if lock:
        query = query.with_for_update()
    signing: ContractSigning | None = await uow.session.scalar(query)
    return signing


def state_of(signing: ContractSigning | None) -> rules.SigningState | None:
    if signing is None:
        return None
    return rules.SigningState(
        signing.sequence, signing.digest, signing.owner_confirmed_at, signing.firm_confirmed_at
    )


async def _award_of(uow: UnitOfWork, row: Procurement) -> Award:
    award = await current_award(uow, row.id, lock=True)
    if award is None:
        raise rules.ContractRefused(
            f"procurement {row.reference} has no current award: there is no contract to draft or confirm",
            reason="no_award",
        )
    return award


# -- the parties and the procurement, from stored data -------------------------------------------
async def _owner_party(uow: UnitOfWork, row: Procurement) -> dict[str, str]:
    org = await uow.session.get(Organisation, row.owner_organisation_id)
    assert org is not None
    terms = stored_terms(row)
    # the owner's legal representative; before that column was filled, the procurement's contact
    representative = org.representative or terms.contact_name
    missing = [name for name, value in (("uscc", org.uscc), ("address", org.address)) if not value]
    if not representative:
        missing.append("representative")
    if missing:
        raise Conflict(
            f"the owner organisation {org.name} has no {', '.join(missing)} on record, which the "
            "contract names; ask an administrator to complete the organisation's record",
            reason="owner_record",
            organisation_id=org.id,
            missing=missing,
        )
    return {
        "name": org.name,
        "uscc": org.uscc or "",
        "address": org.address,
        "representative": representative,
        "contact": terms.contact_name,
        "phone": terms.contact_phone or org.contact_phone,
    }


async def _firm_party(uow: UnitOfWork, award: Award) -> dict[str, str]:
    firm = await uow.session.get(Firm, award.firm_id)
    assert firm is not None
    org = firm.organisation
    if not org.address:
        raise Conflict(
            f"the awarded firm {org.name} has no address on record, which the contract names; "
            "the firm completes its registry record (企业信息) first",
            reason="firm_record",
            organisation_id=org.id,
            missing=["address"],
        )
    return {
        "name": org.name,
        "uscc": award.uscc,
        "address": org.address,
        "representative": firm.legal_representative,
        "contact": firm.contact_name,
        "phone": firm.contact_phone or org.contact_phone,
    }


def _procurement_block(row: Procurement, vocabulary: Vocabulary) -> dict[str, str]:
    if row.service_type:
        category = vocabulary.service_types.name(row.service_type)
    else:
        category = vocabulary.work_fields.name(row.work_field) if row.work_field else row.kind.label
    return {
        "reference": row.reference or "",
        "title": row.title,
        "kind": row.kind.value,
        "category": category,
        "location": vocabulary.divisions.name(row.division_code),
    }


# -- drafting -----------------------------------------------------------------------------------
async def draft(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    given: Mapping[str, Any],
    now: datetime,
    *,
    vocabulary: Vocabulary,
) -> ContractSigning:
    """The owner's (re-)draft: validated as the contract it will be, stored with its digest."""
    row = await locked(uow, principal, procurement_id)
    if not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied("only the owner's organisation (甲方) drafts its procurement's contract")
    award = await _award_of(uow, row)
    signing = await current_signing(uow, award.id, lock=True)
    rules.check_may_draft(row.status.value, award.contract_due_at, state_of(signing), now)
    kind = rules.CONTRACT_KIND[row.kind.value]
    sequence = (signing.sequence if signing is not None else 0) + 1
    data = rules.contract_data(
        kind,
        rules.owner_terms(kind, given),
        number=rules.document_number(row.reference or str(row.id), award.id, sequence),
        procurement=_procurement_block(row, vocabulary),
        owner=await _owner_party(uow, row),
        firm=await _firm_party(uow, award),
        amount=f"{award.amount:.2f}",
        issued_on=local_day(now),
    )
    with translated_errors():
        document = contracts.document_from_dict(kind, data)
    assert isinstance(document, contracts.ServiceContract | contracts.WorksContract)
    if signing is not None:
        signing.superseded_at = now
        await uow.session.flush()  # one current draft per award (a partial unique index)
        if signing.owner_confirmed_at is not None:
            await _owe_again(uow, row, award, "contract_owner")
    new = ContractSigning(
        procurement_id=row.id,
        award_id=award.id,
        sequence=sequence,
        kind=kind,
        data=json.loads(contracts.canonical_json(document))["data"],
        digest=contracts.confirmable_digest(document),
        drafted_by=principal.user_id,
        drafted_at=now,
    )
    uow.session.add(new)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "contract:drafted",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "award_id": award.id,
            "sequence": sequence,
            "digest": new.digest,
            "supersedes": signing.sequence if signing is not None else None,
        },
    )
    return new


async def _owe_again(uow: UnitOfWork, row: Procurement, award: Award, action: limits.LimitAction) -> None:
    """A re-draft resets the owner's confirmation: its limit is owed again (same due time)."""
    await uow.session.execute(
        update(TimeLimit)
        .where(
            TimeLimit.subject == limits.subject_of("award", award.id),
            TimeLimit.action == action,
            TimeLimit.cancelled_at.is_(None),
        )
        .values(done_at=None)
    )
    await limits.refresh(uow, row)


# -- confirming ---------------------------------------------------------------------------------
async def confirm(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    digest: str,
    now: datetime,
    *,
    office: DocumentOffice,
) -> ContractSigning:
    """The owner's, then the firm's confirmation of the current draft's ``digest``. The
    firm's completes the contract: its PDF, recording both, is issued and the procurement
    is contracted."""
    row = await locked(uow, principal, procurement_id)
    award = await current_award(uow, row.id, lock=True)
    side = side_of(principal, row, award)
    signing = await current_signing(uow, award.id, lock=True) if award is not None else None
    due = award.contract_due_at if award is not None else None
    rules.check_confirmation(side, row.status.value, due, state_of(signing), digest.strip().lower(), now)
    assert award is not None and signing is not None and side is not None
    subject = limits.subject_of("award", award.id)
    if side == "owner":
        signing.owner_confirmed_by, signing.owner_confirmed_at = principal.user_id, now
        await uow.session.flush()
        await limits.done(uow, row, "contract_owner", subject, now)
    else:
        signing.firm_confirmed_by, signing.firm_confirmed_at = principal.user_id, now
        await uow.session.flush()
        await limits.done(uow, row, "contract_firm", subject, now)
    await audit.record(
        uow,
        actor,
        "contract:confirmed",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "award_id": award.id,
            "sequence": signing.sequence,
            "party": side,
            "digest": signing.digest,
            "confirmed_at": now,
        },
    )
    if side == "firm":
        await _complete(uow, actor, row, award, signing, now, office)
    return signing


async def confirmed_document(uow: UnitOfWork, signing: ContractSigning) -> contracts.Contract:
    """The contract of ``signing`` with both parties' confirmations (who, for whom, when, digest)."""
    base = contracts.document_from_dict(signing.kind, signing.data)
    assert isinstance(base, contracts.ServiceContract | contracts.WorksContract)
    first, second = rules.PARTY_KEYS[signing.kind]
    confirmations = []
    for role, party, user_id, at in (
        (contracts.ConfirmingRole.FIRST_PARTY, first, signing.owner_confirmed_by, signing.owner_confirmed_at),
        (contracts.ConfirmingRole.SECOND_PARTY, second, signing.firm_confirmed_by, signing.firm_confirmed_at),
    ):
        assert at is not None
        name = await uow.session.scalar(select(User.display_name).where(User.id == user_id))
        confirmations.append(
            contracts.Confirmation(
                role, getattr(base, party).name, name or "（账户已删除）", at, signing.digest
            )
        )
    return dataclasses.replace(base, confirmations=tuple(confirmations))


async def _complete(
    uow: UnitOfWork,
    actor: Actor,
    row: Procurement,
    award: Award,
    signing: ContractSigning,
    now: datetime,
    office: DocumentOffice,
) -> None:
    document = await confirmed_document(uow, signing)
    issued = await _issue_contract(uow, actor, office, document, row.owner_organisation_id)
    signing.document_id = issued.id
    action = await move(uow, row, "sign", now)
    await audit.record(
        uow,
        actor,
        action,
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "award_id": award.id,
            "sequence": signing.sequence,
            "digest": signing.digest,
            "document_id": issued.id,
            "sha256": issued.sha256,
        },
    )


async def _issue_contract(
    uow: UnitOfWork, actor: Actor, office: DocumentOffice, document: contracts.Document, organisation_id: int
) -> IssuedDocument:
    """Issue the contract PDF on behalf of the procurement's owner organisation, whoever's
    confirmation completed it: the platform issues it, bound to the procurement."""
    return await documents.issue_for_procurement(uow, actor, office, document, organisation_id)


async def signings(uow: UnitOfWork, award_id: int) -> list[ContractSigning]:
    """Every draft of an award, the first first."""
    return list(
        await uow.session.scalars(
            select(ContractSigning)
            .where(ContractSigning.award_id == award_id)
            .order_by(ContractSigning.sequence)
        )
    )


async def firm_name(uow: UnitOfWork, award: Award) -> str:
    name = await uow.session.scalar(select(Organisation.name).where(Organisation.id == award.firm_id))
    return name or award.uscc


async def signing_of(uow: UnitOfWork, procurement_id: int) -> tuple[Award, ContractSigning | None]:
    """The current award and its current draft (for the pages and the API's answer)."""
    award = await current_award(uow, procurement_id)
    if award is None:
        raise NotFound(f"procurement {procurement_id} has no current award", procurement_id=procurement_id)
    return award, await current_signing(uow, award.id)
