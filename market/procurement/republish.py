"""Re-publication after 流标: the next attempt of a failed procurement, as a linked new draft.

The failed procurement stays as it is, with its failure and record; the owner's organisation
gets a new **draft** with the same terms, whose dates are moved forward to the earliest the
rules allow from now (so the form opens on valid dates), linked by ``previous_id`` and
numbered ``attempt`` + 1. It is edited and published like any draft, with a new commitment
over its own, freshly reserved reference. A failed procurement has at most one successor
(the unique index on ``previous_id`` makes it so even if two requests race past the check):
a second request is a 409 naming the one that exists, whether it is this draft or the
attempt a supervisor's approval of direct selection made (:mod:`market.direct`).

:func:`chain_of` is what the API and the pages show: every attempt before this one and the
one after it, as far as the reader may see them (a successor still in draft is the owner's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.calendar import UnknownCalendarYear, WorkingCalendar
from market.db import UnitOfWork
from market.errors import Conflict, PermissionDenied
from market.models import DirectRequest, Procurement
from market.principal import Principal
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import terms_json
from market.procurement.publication import earliest_selection
from market.procurement.states import ProcurementStatus
from market.procurement.terms import KindTerms, ProcurementTerms


def _next_minute(moment: datetime) -> datetime:
    """Up to the next whole minute: a form shows minutes, and must not show one too early."""
    seconds = moment.timestamp()
    return datetime.fromtimestamp(math.ceil(seconds / 60) * 60, tz=moment.tzinfo)


def moved_forward(draft: DraftTerms, kind: KindTerms, now: datetime, calendar: WorkingCalendar) -> DraftTerms:
    """``draft`` with its closing (the bid deadline, or the draw without bids) at the earliest
    the minimum period allows from ``now`` and the selection as far after it as before (at
    least the draw's windows). Dates already late enough stay; when the calendar of that year
    is not imported yet the dates stay too, and publication says why they cannot be checked."""
    try:
        earliest = _next_minute(calendar.add_working_days(now, kind.min_bid_working_days))
    except UnknownCalendarYear:
        return draft
    closes = draft.closes_at
    if closes >= earliest:
        return draft
    shift = earliest - closes
    if draft.bid_deadline is None:
        return replace(draft, selection_time=draft.selection_time + shift)
    deadline = draft.bid_deadline + shift
    selection = max(draft.selection_time + shift, earliest_selection(deadline, kind))
    # a review step keeps its place between the deadline and the selection
    review = None if draft.review_deadline is None else draft.review_deadline + shift
    return replace(draft, bid_deadline=deadline, selection_time=selection, review_deadline=review)


async def successor_of(uow: UnitOfWork, procurement_id: int) -> Procurement | None:
    """The attempt that follows ``procurement_id``, if one was made (draft or not)."""
    found: Procurement | None = await uow.session.scalar(
        select(Procurement).where(Procurement.previous_id == procurement_id)
    )
    return found


def successor_conflict(failed: Procurement, successor: Procurement) -> Conflict:
    """The 409 of a second next attempt, naming the one there is."""
    named = successor.reference or f"draft {successor.id}"
    return Conflict(
        f"procurement {failed.reference} already has its next attempt (第{successor.attempt}次): {named}",
        successor_id=successor.id,
        successor_reference=successor.reference,
    )


async def failed_of_owner(uow: UnitOfWork, principal: Principal, procurement_id: int) -> Procurement:
    """The failed procurement, locked, if the principal acts for its owner; else a refusal
    (404 for what it may not see, 403 for another owner's, 409 when it did not fail)."""
    row = await service.load(uow, principal, procurement_id, lock=True)
    if not policy.may_edit_procurement(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) makes the next attempt of its procurement",
            procurement_id=procurement_id,
        )
    if row.status is not ProcurementStatus.FAILED:
        raise Conflict(
            f"only a failed procurement (流标) has a next attempt; {row.reference or row.id} is "
            f"{row.status.value} ({row.status.label})",
            procurement_status=row.status.value,
        )
    successor = await successor_of(uow, row.id)
    if successor is not None:
        raise successor_conflict(row, successor)
    return row


async def republish(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    now: datetime,
    calendar: WorkingCalendar,
    terms: ProcurementTerms,
) -> Procurement:
    """The next attempt of a failed procurement: a new draft of its owner with the same terms
    (dates moved forward), linked to it, its reference reserved for the owner's commitment.
    Audited ``procurement:republished`` on the failed one, naming the new one."""
    failed = await failed_of_owner(uow, principal, procurement_id)
    draft = moved_forward(service.stored_terms(failed), terms.of(failed.kind), now, calendar)
    row = await service.create_draft(uow, actor, principal, terms_json(draft), now)
    row.previous_id = failed.id
    row.attempt = failed.attempt + 1
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "procurement:republished",
        "procurement",
        failed.id,
        {"reference": failed.reference, "successor_id": row.id, "attempt": row.attempt},
    )
    await service.reserve_reference(uow, actor, principal, row.id, now, terms)
    return row


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt of a chain as a reader sees it."""

    id: int
    reference: str | None
    attempt: int
    status: ProcurementStatus
    method: str


@dataclass(frozen=True, slots=True)
class DirectDecision:
    """For an attempt made by direct selection: the request it was made by and the
    supervisor's approval, public with the attempt."""

    request_id: int
    reason: str
    requested_at: datetime
    approved_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class AttemptChain:
    """The attempts before a procurement (oldest first) and the one after it."""

    attempt: int
    earlier: tuple[Attempt, ...] = ()
    next: Attempt | None = None
    direct: DirectDecision | None = None

    @property
    def failed_before(self) -> int:
        """Failed attempts before this one."""
        return sum(1 for a in self.earlier if a.status is ProcurementStatus.FAILED)


def _attempt(row: Procurement) -> Attempt:
    return Attempt(row.id, row.reference, row.attempt, row.status, str(row.terms.get("method", "")))


#: Longest chain followed back; a city re-publishes a few times, never this often.
MAX_CHAIN = 100


async def chain_of(uow: UnitOfWork, principal: Principal | None, row: Procurement) -> AttemptChain:
    """The chain around ``row``: every earlier attempt and the next one, each shown only to
    a reader who may see it (a draft successor is its owner's)."""
    earlier: list[Attempt] = []
    previous_id = row.previous_id
    while previous_id is not None and len(earlier) < MAX_CHAIN:
        previous = await uow.session.get(Procurement, previous_id)
        if previous is None:
            break
        earlier.append(_attempt(previous))
        previous_id = previous.previous_id
    successor = await successor_of(uow, row.id)
    shown = (
        _attempt(successor)
        if successor is not None
        and policy.may_see_procurement(principal, successor.owner_organisation_id, successor.status.public)
        else None
    )
    request = await uow.session.scalar(select(DirectRequest).where(DirectRequest.successor_id == row.id))
    direct = None
    if request is not None and request.decided_at is not None:
        direct = DirectDecision(
            request.id, request.reason, request.requested_at, request.decided_at, request.decision_note
        )
    return AttemptChain(row.attempt, tuple(reversed(earlier)), shown, direct)


def failed_attempts_through(chain: AttemptChain, row: Procurement) -> int:
    """Failed attempts up to ``row``, itself included if it failed: what the rule of direct
    selection counts."""
    return chain.failed_before + (1 if row.status is ProcurementStatus.FAILED else 0)


__all__ = [
    "Attempt",
    "AttemptChain",
    "DirectDecision",
    "chain_of",
    "failed_attempts_through",
    "failed_of_owner",
    "moved_forward",
    "republish",
    "successor_conflict",
    "successor_of",
]
