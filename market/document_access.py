"""Documents belong to their parties: who issues for a procurement reference, who may
download a private PDF, who may revoke. The decisions are :mod:`market.policy`'s; this
module gathers the data they need and turns a "no" into a reason a person can act on."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

import contracts
from market import policy
from market.db import UnitOfWork
from market.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from market.models import IssuedDocument, Organisation, Procurement
from market.principal import Principal

REFERENCE_LOCKS = 0x646F63  # advisory-lock class: one issue per procurement reference at a time


def party_usccs(document: contracts.Document) -> list[str]:
    """The USCCs of the legal persons a document names (owner and winner, 甲方 and 乙方)."""
    values = (getattr(document, f.name) for f in dataclasses.fields(document))
    return sorted({value.uscc for value in values if isinstance(value, contracts.Party)})


def facts_of(row: IssuedDocument) -> policy.DocumentFacts:
    """What :mod:`market.policy` needs to know of a stored document."""
    return policy.DocumentFacts(
        row.kind, row.issuer_organisation_id, row.issued_by, tuple(row.party_usccs or ())
    )


async def lock_reference(uow: UnitOfWork, reference: str) -> None:
    """Hold ``reference`` until the transaction ends, so that two issuers cannot both claim
    a fresh one (or supersede each other) while their PDFs render."""
    await uow.session.execute(select(func.pg_advisory_xact_lock(REFERENCE_LOCKS, func.hashtext(reference))))


async def platform_owner_of(uow: UnitOfWork, reference: str) -> int | None:
    """The owner organisation of the platform procurement published under ``reference``;
    None for a reference the platform never gave (a document issued free-form)."""
    owner: int | None = await uow.session.scalar(
        select(Procurement.owner_organisation_id).where(Procurement.reference == reference)
    )
    return owner


async def _organisation_names(uow: UnitOfWork, ids: set[int | None]) -> str:
    query = select(Organisation.name).where(Organisation.id.in_(ids - {None})).order_by(Organisation.name)
    return "、".join((await uow.session.scalars(query)).all())


async def issuer_for(uow: UnitOfWork, principal: Principal, reference: str, reason: str | None) -> int | None:
    """The organisation a new document for ``reference`` will belong to, once ``principal``
    is known to be allowed to issue it. A platform procurement's documents belong to its
    owner organisation; another reference to whoever issued its first documents. Locks the
    reference until the transaction ends (:func:`lock_reference`)."""
    await lock_reference(uow, reference)
    owner = await platform_owner_of(uow, reference)
    if owner is not None:
        return await _procurement_issuer(uow, principal, reference, owner, reason)
    earlier = (
        await uow.session.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.procurement_reference == reference)
            .order_by(IssuedDocument.created_at, IssuedDocument.id)
        )
    ).all()
    facts = [facts_of(row) for row in earlier]
    if not policy.may_issue_for(principal, facts):
        names = await _organisation_names(uow, {f.issuer_organisation_id for f in facts})
        raise PermissionDenied(
            f"procurement {reference} belongs to {names or 'another account'}, which issued "
            "its documents: only its accounts, or an administrator giving a reason, may issue, "
            "supersede or revoke them. Check the procurement reference.",
            procurement_reference=reference,
        )
    if policy.overrides_issuer(principal, facts):
        _require_reason(reference, reason)
        return earlier[-1].issuer_organisation_id  # issued on its behalf: it stays the issuer's
    return principal.organisation_id


async def _procurement_issuer(
    uow: UnitOfWork, principal: Principal, reference: str, owner: int, reason: str | None
) -> int:
    if not policy.may_act_on_procurement_documents(principal, owner):
        names = await _organisation_names(uow, {owner})
        raise PermissionDenied(
            f"procurement {reference} is {names}'s: only its owner accounts or an administrator "
            "may cause its documents to be issued, superseded or revoked",
            procurement_reference=reference,
        )
    if not policy.acts_for_owner(principal, owner):
        _require_reason(reference, reason)  # an administrator acting for the owner says why
    return owner


def _require_reason(reference: str, reason: str | None) -> None:
    if not (reason or "").strip():
        raise InvalidInput(
            f"procurement {reference} belongs to another organisation: say why you issue for it "
            "(reason); it goes into the audit log",
            field="reason",
        )


def ensure_may_read(principal: Principal | None, row: IssuedDocument) -> None:
    """Raise unless ``principal`` may download the PDF (:func:`market.policy.may_read_document`)."""
    if policy.may_read_document(principal, facts_of(row)):
        return
    if principal is None:
        raise AuthenticationFailed("sign in to download this document; result notices are public")
    raise PermissionDenied(
        "this document goes only to the parties it names, the organisation that issued it, "
        "supervisors and administrators; its verification page shows what was issued",
        document_id=row.id,
    )


async def ensure_may_revoke(uow: UnitOfWork, principal: Principal, row: IssuedDocument) -> None:
    """A platform procurement's document is revoked by its owner organisation or an
    administrator (the binding of issue 13); another by its issuer or an official."""
    owner = await platform_owner_of(uow, row.procurement_reference)
    if owner is not None:
        if not policy.may_act_on_procurement_documents(principal, owner):
            raise PermissionDenied(
                f"document {row.id} belongs to procurement {row.procurement_reference}: only its "
                "owner organisation or an administrator may revoke it",
                document_id=row.id,
            )
        return
    if not policy.may_revoke_document(principal, facts_of(row)):
        raise PermissionDenied(
            "only the organisation that issued this document, a supervisor or an administrator may revoke it",
            document_id=row.id,
        )
