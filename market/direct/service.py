"""Direct selection after failed attempts, stored: the owner's request, the supervisor's
decision, and on approval the next attempt selected with its record.

The request names a firm by USCC that the registries find eligible *now* for the failed
procurement's terms (its requirements and avoidance list; the reasons are said by code when
it is not). On approval the firm is checked again (time has passed), and one transaction
writes the next attempt — a procurement of the same owner and terms with method ``direct``,
published and selected at once (nothing is drawn, so there is no ceremony: the record is
``selection.run("direct", …)``'s, which anyone re-computes with ``python -m
selection.verify``) — its record as round 1, the decision on the request with the
successor's id, and the audit entries ``direct_request:approved`` and
``procurement:selected``. Nothing is committed here; every refusal comes before a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.clock import local
from market.db import UnitOfWork
from market.direct import rules
from market.direct.successor import NamedFirm, selected_successor
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import (
    DirectRequest,
    Firm,
    FirmStatus,
    Organisation,
    Procurement,
    Registry,
)
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.eligibility_count import requirements_of
from market.procurement.republish import chain_of, failed_attempts_through, failed_of_owner, successor_of
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import explain
from market.registry.records import InvalidRecord, check_uscc
from market.registry.vocabulary import Vocabulary


async def _firm_of(uow: UnitOfWork, registry: str, uscc: str) -> NamedFirm:
    row = (
        await uow.session.execute(
            select(Firm.id, Organisation.uscc, Organisation.name)
            .join(Organisation, Organisation.id == Firm.id)
            .where(
                Organisation.uscc == uscc,
                Firm.kind == Registry(registry),
                Firm.status.in_((FirmStatus.ADMITTED, FirmStatus.SUSPENDED)),
            )
        )
    ).one_or_none()
    if row is None:
        raise InvalidInput(f"no firm of the {registry} registry has the USCC {uscc}", field="uscc")
    return NamedFirm(int(row[0]), str(row[1]), str(row[2]))


async def _eligible_now(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    firm: NamedFirm,
    now: datetime,
) -> None:
    """Refuses (422, reasons by code) a firm the registries do not find eligible for the terms now."""
    try:
        requirements = requirements_of(vocabulary, terms, draft)
    except InvalidRecord as exc:  # the published terms read once; the vocabulary changed since
        raise Conflict(
            "the procurement's requirements no longer read: " + "; ".join(p.message for p in exc.problems)
        ) from None
    explanation = await explain(uow, vocabulary, requirements, firm.id, now, published_only=True)
    if not explanation.eligible:
        codes = [r.code for r in explanation.reasons]
        said = "; ".join(f"{r.code}: {r.message}" for r in explanation.reasons)
        raise InvalidInput(
            f"{firm.name} ({firm.uscc}) is not eligible for this procurement now — {said}",
            field="uscc",
            reasons=codes,
            reason_texts=[r.message for r in explanation.reasons],
        )


async def request_direct(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    now: datetime,
    terms: ProcurementTerms,
    *,
    uscc: str,
    reason: str,
    vocabulary: Vocabulary,
) -> DirectRequest:
    """The owner's request to select ``uscc`` directly as the next attempt of a failed
    procurement, with ``reason``; audited ``direct_request:made``."""
    failed = await failed_of_owner(uow, principal, procurement_id)
    kind = terms.of(failed.kind)
    pending = await uow.session.scalar(
        select(DirectRequest.id).where(
            DirectRequest.procurement_id == failed.id, DirectRequest.decision.is_(None)
        )
    )
    chain = await chain_of(uow, principal, failed)
    facts = rules.RequestFacts(
        reference=failed.reference or str(failed.id),
        kind_name=kind.name,
        needed=kind.direct_after_failed_attempts,
        failed_attempts=failed_attempts_through(chain, failed),
        pending_request=pending,
    )
    refusal = rules.request_refusal(facts)
    if refusal is not None:
        raise refusal
    text = rules.checked_text(reason, "reason", "why this firm is selected directly")
    firm = await _firm_of(uow, kind.registry, check_uscc(uscc, "uscc"))
    await _eligible_now(uow, vocabulary, terms, service.stored_terms(failed), firm, now)
    request = DirectRequest(
        procurement_id=failed.id,
        firm_id=firm.id,
        reason=text,
        requested_by=principal.user_id,
        requested_at=now,
    )
    uow.session.add(request)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "direct_request:made",
        "procurement",
        failed.id,
        {"reference": failed.reference, "request_id": request.id, "uscc": firm.uscc, "reason": text},
    )
    return request


def _supervising(principal: Principal, failed: Procurement) -> None:
    if Role.SUPERVISOR not in principal.roles:
        raise PermissionDenied("a supervisor (监督) decides requests for direct selection")
    if principal.organisation_id == failed.owner_organisation_id:
        raise PermissionDenied("a request is decided outside the organisation that made it")


async def _request_for_decision(
    uow: UnitOfWork, principal: Principal, request_id: int
) -> tuple[DirectRequest, Procurement]:
    if Role.SUPERVISOR not in principal.roles:
        raise PermissionDenied("a supervisor (监督) decides requests for direct selection")
    request = await uow.session.scalar(
        select(DirectRequest).where(DirectRequest.id == request_id).with_for_update()
    )
    if request is None:
        raise NotFound(f"there is no request for direct selection {request_id}", request_id=request_id)
    failed = await uow.session.scalar(
        select(Procurement).where(Procurement.id == request.procurement_id).with_for_update()
    )
    assert failed is not None  # the foreign key
    _supervising(principal, failed)
    decided_at = local(request.decided_at).strftime("%Y-%m-%d %H:%M") if request.decided_at else ""
    refusal = rules.decision_refusal(request.decision, decided_at)
    if refusal is not None:
        raise refusal
    return request, failed


async def reject(
    uow: UnitOfWork, actor: Actor, principal: Principal, request_id: int, now: datetime, *, note: str
) -> DirectRequest:
    """A supervisor rejects the request, saying why; the owner may ask again."""
    request, failed = await _request_for_decision(uow, principal, request_id)
    text = rules.checked_note(False, note)
    request.decision, request.decided_by, request.decided_at = rules.REJECTED, principal.user_id, now
    request.decision_note = text
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "direct_request:rejected",
        "procurement",
        failed.id,
        {"reference": failed.reference, "request_id": request.id, "note": text},
    )
    return request


async def approve(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    request_id: int,
    now: datetime,
    terms: ProcurementTerms,
    *,
    note: str,
    vocabulary: Vocabulary,
) -> Procurement:
    """A supervisor approves: the next attempt is made, selected directly, with its record."""
    request, failed = await _request_for_decision(uow, principal, request_id)
    text = rules.checked_note(True, note)
    existing = await successor_of(uow, failed.id)
    if existing is not None:
        raise Conflict(
            f"{failed.reference} has its next attempt already ({existing.reference or 'a draft'}); "
            "reject this request instead",
            successor_id=existing.id,
        )
    organisation = await uow.session.get(Organisation, request.firm_id)
    assert organisation is not None and organisation.uscc is not None  # a firm is an organisation
    firm = NamedFirm(request.firm_id, organisation.uscc, organisation.name)
    before = service.stored_terms(failed)
    try:
        await _eligible_now(uow, vocabulary, terms, before, firm, now)
    except InvalidInput as exc:  # eligible when asked, not any more: nothing to approve
        details = {k: exc.details[k] for k in ("reasons", "reason_texts") if k in exc.details}
        raise Conflict(exc.message, **details) from None
    successor = await selected_successor(uow, actor, failed, before, firm, request.reason, now, terms)
    request.decision, request.decided_by, request.decided_at = rules.APPROVED, principal.user_id, now
    request.decision_note = text
    request.successor_id = successor.id
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "direct_request:approved",
        "procurement",
        failed.id,
        {"reference": failed.reference, "request_id": request.id, "successor_id": successor.id, "note": text},
    )
    return successor


@dataclass(frozen=True, slots=True)
class RequestLine:
    """A request as its lists show it."""

    request: DirectRequest
    reference: str | None
    title: str
    firm_name: str
    uscc: str


async def requests(
    uow: UnitOfWork,
    principal: Principal,
    *,
    pending_only: bool,
    procurement_id: int | None = None,
    request_id: int | None = None,
) -> list[RequestLine]:
    """Supervisors see every request; an owner its organisation's; nobody else any."""
    query = (
        select(DirectRequest, Procurement.reference, Procurement.title, Organisation.name, Organisation.uscc)
        .join(Procurement, Procurement.id == DirectRequest.procurement_id)
        .join(Organisation, Organisation.id == DirectRequest.firm_id)
        .order_by(DirectRequest.requested_at.desc(), DirectRequest.id.desc())
        .limit(200)
    )
    if Role.SUPERVISOR in principal.roles:
        pass
    elif Role.OWNER in principal.roles and principal.organisation_id is not None:
        query = query.where(Procurement.owner_organisation_id == principal.organisation_id)
    else:
        raise PermissionDenied("requests for direct selection are the owners' and the supervisors'")
    if pending_only:
        query = query.where(DirectRequest.decision.is_(None))
    if procurement_id is not None:
        query = query.where(DirectRequest.procurement_id == procurement_id)
    if request_id is not None:
        query = query.where(DirectRequest.id == request_id)
    rows = (await uow.session.execute(query)).all()
    return [RequestLine(r, ref, title, name, uscc or "") for r, ref, title, name, uscc in rows]


async def one_request(uow: UnitOfWork, principal: Principal, request_id: int) -> RequestLine:
    """One request as its reader may see it (read back after an act)."""
    await uow.session.flush()
    found = await requests(uow, principal, pending_only=False, request_id=request_id)
    if not found:
        raise NotFound(f"there is no request for direct selection {request_id}", request_id=request_id)
    return found[0]
