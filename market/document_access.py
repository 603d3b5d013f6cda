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
from market.models import IssuedDocument, Organisation
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


async def issuer_for(uow: UnitOfWork, principal: Principal, reference: str, reason: str | None) -> int | None:
    """The organisation a new document for ``reference`` will belong to, once ``principal``
    is known to be allowed to issue it. Locks the reference until the transaction ends,
    so that two organisations cannot both claim a fresh one while their PDFs render."""
    await uow.session.execute(select(func.pg_advisory_xact_lock(REFERENCE_LOCKS, func.hashtext(reference))))
    earlier = (
        await uow.session.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.procurement_reference == reference)
            .order_by(IssuedDocument.created_at, IssuedDocument.id)
        )
    ).all()
    facts = [facts_of(row) for row in earlier]
    if not policy.may_issue_for(principal, facts):
        owners = {f.issuer_organisation_id for f in facts} - {None}
        query = select(Organisation.name).where(Organisation.id.in_(owners)).order_by(Organisation.name)
        names = (await uow.session.scalars(query)).all()
        raise PermissionDenied(
            f"procurement {reference} belongs to {'、'.join(names) or 'another account'}, which issued "
            "its documents: only its accounts, or an administrator giving a reason, may issue, "
            "supersede or revoke them. Check the procurement reference.",
            procurement_reference=reference,
        )
    if policy.overrides_issuer(principal, facts):
        if not (reason or "").strip():
            raise InvalidInput(
                f"procurement {reference} belongs to another organisation: say why you issue for it "
                "(reason); it goes into the audit log",
                field="reason",
            )
        return earlier[-1].issuer_organisation_id  # issued on its behalf: it stays the issuer's
    return principal.organisation_id


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


def ensure_may_revoke(principal: Principal, row: IssuedDocument) -> None:
    if not policy.may_revoke_document(principal, facts_of(row)):
        raise PermissionDenied(
            "only the organisation that issued this document, a supervisor or an administrator may revoke it",
            document_id=row.id,
        )
