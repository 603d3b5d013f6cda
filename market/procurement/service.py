"""Procurements, stored: drafting, publishing, amending and cancelling (issue 11).

Each function gets the caller's unit of work, the :class:`~market.audit.Actor` and the
:class:`~market.principal.Principal`, and the time as a parameter; it loads the row under a
lock, asks :mod:`market.policy` who may act (a draft another organisation cannot see is a
404, a procurement it sees but does not own a 403), compares the version the caller had
(409 naming the current one), asks the pure rules of this package what the act changes,
writes and audits. Nothing is committed here; a refusal raises before anything is written,
so a refused publication consumes no reference number.

Not a rule module (it holds a session); the rules it calls are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from market import audit, policy
from market.audit import Actor
from market.calendar import WorkingCalendar
from market.clock import local
from market.db import UnitOfWork
from market.draw.declaration import BeaconDeclaration
from market.draw.rounds import draw_problems, prepare_round
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.lifecycle.schedule import reschedule
from market.models import (
    ContractorOffer,
    Procurement,
    ProcurementKey,
    ProcurementSequence,
    ProcurementVersion,
)
from market.principal import Principal, Role
from market.procurement.amendment import AmendmentEffect, amendment_effect
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import changes_json, draft_from_input, terms_json
from market.procurement.problems import Problem, ProcurementRefused
from market.procurement.publication import pool_freeze_time, publication_problems, shortage_problem
from market.procurement.reference import reference
from market.procurement.states import ProcurementStatus, transition
from market.procurement.terms import ProcurementTerms
from market.registry.records import InvalidRecord
from market.registry.requirements import requirements_from
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import DataKey, KeyEncryptionKey


def terms_digest(terms: DraftTerms) -> str:
    """SHA-256 of the terms' canonical JSON: what a published version says, in 64 characters."""
    canonical = json.dumps(terms_json(terms), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- loading and access -----------------------------------------------------------------------
async def load(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, *, lock: bool = False
) -> Procurement:
    """The procurement if ``principal`` may see it; otherwise, as if it did not exist."""
    query = select(Procurement).where(Procurement.id == procurement_id)
    if lock:
        query = query.with_for_update()
    row = await uow.session.scalar(query)
    if row is None or not policy.may_see_procurement(principal, row.owner_organisation_id, row.status.public):
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    return row


async def _editable(
    uow: UnitOfWork, principal: Principal, procurement_id: int, expected_version: int | None
) -> Procurement:
    row = await load(uow, principal, procurement_id, lock=True)
    if not policy.may_edit_procurement(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) changes its procurement", procurement_id=procurement_id
        )
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            f"procurement {row.id} was changed by someone else (version {row.version}, you had "
            f"{expected_version}); reload and try again",
            current_version=row.version,
        )
    return row


def _store_terms(row: Procurement, terms: DraftTerms) -> None:
    """The whole terms as JSON, and the columns lists filter by, from the same terms."""
    row.kind = terms.kind
    row.title = terms.title
    row.division_code = terms.division
    row.service_type = terms.service_type
    row.work_field = terms.work_field
    row.budget = terms.budget
    row.ceiling = terms.ceiling
    row.floor = terms.floor
    row.quote_mode = terms.quote_mode
    row.bid_deadline = terms.bid_deadline
    row.selection_time = terms.selection_time
    row.review_deadline = terms.review_deadline
    row.terms = terms_json(terms)


def stored_terms(row: Procurement) -> DraftTerms:
    return draft_from_input(row.terms)


# -- what only the registries know --------------------------------------------------------------
def vocabulary_problems(
    vocabulary: Vocabulary, terms: ProcurementTerms, draft: DraftTerms
) -> tuple[DraftTerms, list[Problem]]:
    """The division, service type or field of work and the requirements checked against the
    registries' vocabulary (:mod:`.publication` leaves them to the service); the terms with
    names resolved to codes, and the problems."""
    problems: list[Problem] = []
    resolved: dict[str, Any] = {}
    registry = terms.of(draft.kind).registry

    def resolve(name: str, value: str, vocabulary_terms: Any) -> None:
        try:
            resolved[name] = vocabulary_terms.resolve(value, field=name)
        except InvalidInput as exc:
            problems.append(Problem(name, exc.message))

    resolve("division", draft.division, vocabulary.divisions)
    if registry == "intermediary" and draft.service_type is None:
        problems.append(Problem("service_type", "choose the service type (服务类型)"))
    if registry == "contractor" and draft.work_field is None:
        problems.append(Problem("work_field", "choose the field of work (工程领域)"))
    if draft.service_type is not None:
        resolve("service_type", draft.service_type, vocabulary.service_types)
    if draft.work_field is not None:
        resolve("work_field", draft.work_field, vocabulary.work_fields)
    asked = dict(draft.requirements)
    if asked.get("kind", registry) != registry:
        problems.append(
            Problem("requirements.kind", f"firms of this procurement come from the {registry} registry")
        )
    else:
        try:
            resolved["requirements"] = requirements_from(vocabulary, {**asked, "kind": registry}).as_dict()
        except InvalidRecord as exc:
            problems += [Problem(f"requirements.{p.field}", p.message) for p in exc.problems]
    return replace(draft, **resolved), problems


async def next_reference(uow: UnitOfWork, prefix: str, year: int) -> str:
    """The next number of ``prefix`` in ``year``: the counter row is created or advanced
    under the transaction's row lock, so two publications never share a number."""
    statement = (
        insert(ProcurementSequence)
        .values(prefix=prefix, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ProcurementSequence.prefix, ProcurementSequence.year],
            set_={"last_number": ProcurementSequence.last_number + 1},
        )
        .returning(ProcurementSequence.last_number)
    )
    number = (await uow.session.execute(statement)).scalar_one()
    return reference(prefix, year, int(number))


async def _next_sequence(uow: UnitOfWork, procurement_id: int) -> int:
    last = await uow.session.scalar(
        select(func.max(ProcurementVersion.sequence)).where(
            ProcurementVersion.procurement_id == procurement_id
        )
    )
    return int(last or 0) + 1


async def _add_version(
    uow: UnitOfWork,
    actor: Actor,
    row: Procurement,
    terms: DraftTerms,
    now: datetime,
    diff: Mapping[str, Any],
    reason: str,
) -> int:
    sequence = await _next_sequence(uow, row.id)
    uow.session.add(
        ProcurementVersion(
            procurement_id=row.id,
            sequence=sequence,
            terms=terms_json(terms),
            diff=dict(diff),
            reason=reason,
            actor_id=actor.id,
            actor_label=actor.label[:200],
            created_at=now,
        )
    )
    return sequence


# -- drafts -------------------------------------------------------------------------------------
async def create_draft(
    uow: UnitOfWork, actor: Actor, principal: Principal, terms_input: Mapping[str, Any], now: datetime
) -> Procurement:
    """A new draft of the principal's organisation, seen by nobody else."""
    if Role.OWNER not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied("procurements are drafted by an owner (业主) account of an organisation")
    draft = draft_from_input(terms_input)
    row = Procurement(
        status=ProcurementStatus.DRAFT,
        owner_organisation_id=principal.organisation_id,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    _store_terms(row, draft)
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow, actor, "procurement:created", "procurement", row.id, {"kind": draft.kind, "title": draft.title}
    )
    return row


async def update_draft(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    terms_input: Mapping[str, Any],
    now: datetime,
    *,
    expected_version: int | None,
) -> Procurement:
    """Replace a draft's terms; a published procurement changes only by amendment."""
    row = await _editable(uow, principal, procurement_id, expected_version)
    if row.status is not ProcurementStatus.DRAFT:
        raise Conflict(
            f"procurement {row.reference} is {row.status.label}; it changes by amendment (变更公告)",
            procurement_status=row.status.value,
        )
    before = stored_terms(row)
    draft = draft_from_input(terms_input)
    _store_terms(row, draft)
    row.updated_at = now
    await uow.session.flush()
    changed = sorted(k for k, v in draft.as_dict().items() if before.as_dict()[k] != v)
    await audit.record(uow, actor, "procurement:updated", "procurement", row.id, {"changed": changed})
    return row


# -- publishing ---------------------------------------------------------------------------------
async def publish(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    now: datetime,
    calendar: WorkingCalendar,
    terms: ProcurementTerms,
    *,
    vocabulary: Vocabulary,
    eligible_count: int,
    bid_key: KeyEncryptionKey,
    refusals: Mapping[str, int] | None = None,
    expected_version: int | None = None,
    owner_commitment: str | None = None,
    beacon: BeaconDeclaration | None = None,
) -> Procurement:
    """Publish a draft: every problem at once, or a reference number, the first version and
    an audit entry. ``eligible_count`` and ``refusals`` (firms kept out, per reason code) are
    the registries' eligibility for the draft's requirements, counted by the caller now.
    A kind that takes bids gets its data key now, wrapped by ``bid_key``: made at
    publication, its row says nothing about whether anyone bids.

    The draw's round opens too (:func:`market.draw.rounds.prepare_round`): ``beacon`` is
    declared and ``owner_commitment`` — made outside the platform over the reference
    :func:`reserve_reference` gave the draft — is required for every method that draws."""
    row = await _editable(uow, principal, procurement_id, expected_version)
    transition(row.status, "publish", now=now)
    draft, problems = vocabulary_problems(vocabulary, terms, stored_terms(row))
    problems = publication_problems(terms, draft, now, calendar) + problems
    shortage = shortage_problem(draft, eligible_count, refusals or {})
    if shortage is not None:
        problems.append(shortage)
    problems += await draw_problems(uow, terms, row, draft, owner_commitment, beacon)
    if problems:
        raise ProcurementRefused(problems)
    assert beacon is not None  # draw_problems listed it otherwise
    if row.reference is None:
        row.reference = await next_reference(uow, terms.of(draft.kind).prefix, local(now).year)
    _store_terms(row, draft)
    row.status = ProcurementStatus.PUBLISHED
    row.published_at = row.updated_at = now
    reschedule(uow, row, terms)
    await uow.session.flush()
    if terms.of(draft.kind).takes_bids:
        wrapped = bid_key.wrap(DataKey.generate(), row.reference)
        uow.session.add(
            ProcurementKey(procurement_id=row.id, key_id=wrapped.key_id, wrapped=wrapped.blob, created_at=now)
        )
    await prepare_round(uow, actor, bid_key, row, owner_commitment, beacon, now, terms=terms)
    digest = terms_digest(draft)
    await _add_version(uow, actor, row, draft, now, {}, "")
    await audit.record(
        uow,
        actor,
        "procurement:published",
        "procurement",
        row.id,
        {"reference": row.reference, "kind": draft.kind, "terms_sha256": digest, "version": 1},
    )
    return row


async def reserve_reference(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    now: datetime,
    terms: ProcurementTerms,
    *,
    expected_version: int | None = None,
) -> str:
    """The reference the draft will be published under, given now so that the owner can make
    the draw's commitment over it (docs/draw-spec.md §3.1) before publishing. Asking again
    gives the same one, unless the draft's kind changed (another prefix). A reserved number
    that is never published is a gap in the sequence, said in the audit log."""
    row = await _editable(uow, principal, procurement_id, expected_version)
    if row.status is not ProcurementStatus.DRAFT:
        raise Conflict(
            f"procurement {row.reference} is {row.status.label}: its reference is fixed",
            procurement_status=row.status.value,
        )
    prefix = terms.of(row.kind).prefix
    if row.reference is not None and row.reference.startswith(prefix + "-"):
        return row.reference
    reserved = await next_reference(uow, prefix, local(now).year)
    # not an edit of the terms: the version the owner read (and will publish with) stays
    await uow.session.execute(update(Procurement).where(Procurement.id == row.id).values(reference=reserved))
    set_committed_value(row, "reference", reserved)
    await audit.record(
        uow, actor, "procurement:reference_reserved", "procurement", row.id, {"reference": reserved}
    )
    return reserved


# -- after publication ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Amended:
    procurement: Procurement
    effect: AmendmentEffect
    sequence: int  # the new version's number


async def amend(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    terms_input: Mapping[str, Any],
    now: datetime,
    calendar: WorkingCalendar,
    terms: ProcurementTerms,
    *,
    reason: str,
    vocabulary: Vocabulary,
    expected_version: int | None = None,
) -> Amended:
    """Publish an amendment (变更公告): a new version with its diff and reason; a change
    bidders rely on moves the deadline as :func:`amendment_effect` says."""
    row = await _editable(uow, principal, procurement_id, expected_version)
    before = stored_terms(row)
    change = transition(
        row.status,
        "amend",
        now=now,
        # without bids the terms hold until the pool is fixed (the freeze), not until the draw
        closes_at=before.closes_at
        if terms.of(before.kind).takes_bids
        else pool_freeze_time(before.selection_time, terms.of(before.kind)),
        takes_bids=terms.of(before.kind).takes_bids,
        reason=reason,
    )
    after, problems = vocabulary_problems(vocabulary, terms, draft_from_input(terms_input))
    try:
        effect = amendment_effect(before, after, now, calendar, terms)
    except ProcurementRefused as refused:
        raise ProcurementRefused([*refused.problems, *problems]) from None
    if problems:
        raise ProcurementRefused(problems)
    _store_terms(row, effect.amended)
    row.updated_at = now
    reschedule(uow, row, terms)
    if effect.reconfirm_bids:
        # bids confirmed against an earlier version no longer count until re-confirmed; no bid
        # row is touched, so the amendment's writes do not tell how many bids there are
        row.bids_valid_from = await _next_sequence(uow, row.id)
    await uow.session.flush()
    sequence = await _add_version(
        uow, actor, row, effect.amended, now, changes_json(effect.changes), change.reason
    )
    await audit.record(
        uow,
        actor,
        change.audit_action,
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "version": sequence,
            "changed": sorted(effect.changes),
            "deadline_moved": effect.deadline_moved,
            "closes_at": effect.amended.closes_at,
            "reconfirm_bids": effect.reconfirm_bids,
            "terms_sha256": terms_digest(effect.amended),
            "reason": change.reason,
        },
    )
    return Amended(row, effect, sequence)


async def cancel(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    now: datetime,
    *,
    reason: str,
    expected_version: int | None = None,
) -> Procurement:
    """Cancel (终止) before the selection, with a reason that is published."""
    row = await _editable(uow, principal, procurement_id, expected_version)
    change = transition(row.status, "cancel", now=now, reason=reason)
    row.status = change.to
    row.cancelled_at = row.updated_at = now
    row.cancel_reason = change.reason
    row.offer_due_at = None
    reschedule(uow, row)
    await uow.session.flush()
    await _withdraw_open_offer(uow, actor, row, now)
    # bidders are told through their receipts and bid pages, which show the status and this
    # reason (market.bidding); no bid row is touched, so the act says nothing about bids
    await audit.record(
        uow,
        actor,
        change.audit_action,
        "procurement",
        row.id,
        {"reference": row.reference, "previous": change.previous, "reason": change.reason},
    )
    return row


async def _withdraw_open_offer(uow: UnitOfWork, actor: Actor, row: Procurement, now: datetime) -> None:
    """A small works cancelled while its drawn contractor was still to answer: the open offer
    is closed as ``withdrawn`` (and audited), so no list shows it waiting for an answer."""
    withdrawn = await uow.session.scalar(
        update(ContractorOffer)
        .where(ContractorOffer.procurement_id == row.id, ContractorOffer.answer.is_(None))
        .values(answer="withdrawn", answered_at=now)
        .returning(ContractorOffer.id)
    )
    if withdrawn is not None:
        details = {"reference": row.reference, "offer": withdrawn, "reason": row.cancel_reason}
        await audit.record(uow, actor, "offer:withdrawn", "procurement", row.id, details)
