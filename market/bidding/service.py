"""Sealed bids, stored: submission, replacement, withdrawal, re-confirmation and receipts.

Each function gets the caller's unit of work, the principal (a user of the bidding firm)
and the time, and commits nothing. Every check runs before the first write, so a refusal
leaves nothing behind.

Concurrency: a bid locks its procurement ``FOR SHARE`` (bids do not wait for one another);
closing the bidding takes ``FOR UPDATE`` (:mod:`market.lifecycle`). So a bid that finds the
procurement open, before its deadline, under the share lock is fully in before bidding
closes, with that receipt time; one that comes after finds it closed.

Secrecy (docs/sealed-bids.md): nothing written here names the firm or the procurement in
clear, the procurement's own row is never touched, the audit entries carry a sealed actor
and only {version, digest}, and every refusal speaks of the caller's own bid only.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.bidding import express, rules
from market.bidding.idempotency import replayed, request_tags
from market.bidding.readiness import NOT_A_BIDDER, Readiness, bid_readiness
from market.bidding.rules import BidNotAllowed
from market.bidding.store import (
    Bidding,
    Receipt,
    bid_terms,
    bidding,
    data_key,
    procurement_of,
    receipt_from,
    receipt_of,
    refusal_reasons,
    shared_procurement,
    version_of,
)
from market.bidding.versions import (
    HELD,
    LOCK_BID,
    NEW_BID,
    NEW_BID_IF_ELIGIBLE,
    NEXT_VERSION,
    NEXT_VERSION_IF_ELIGIBLE,
    SEALED_ACTOR,
    seal_version,
)
from market.db import UnitOfWork
from market.errors import Conflict, NotFound, PermissionDenied
from market.models import Bid, Procurement
from market.prepared import Prepared
from market.principal import Principal, Role
from market.procurement.draft import DraftTerms
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import Requirements, firm_eligible_params
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import (
    Attachment,
    Quote,
    bidder_token,
)
from market.sealed.keys import KeyEncryptionKey, procurement_tag

__all__ = [
    "SEALED_ACTOR",
    "Readiness",
    "Receipt",
    "bid_readiness",
    "my_bid",
    "receipt",
    "reconfirm",
    "replace",
    "submit",
    "withdraw",
]

# -- who bids ---------------------------------------------------------------------------------
def _firm_of(principal: Principal) -> int:
    """The firm the principal bids for."""
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied(NOT_A_BIDDER)
    return principal.organisation_id


async def _own_bid(
    uow: UnitOfWork, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int, *, lock: bool
) -> tuple[Bidding, Bid]:
    """The caller's firm's bid ``bid_id`` with its procurement (share-locked), data key and
    terms version; anyone else's bid does not exist for the caller."""
    missing = NotFound(f"your firm has no bid {bid_id}", bid_id=bid_id)
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        raise missing
    tag = await uow.session.scalar(select(Bid.procurement_tag).where(Bid.id == bid_id))
    procurement_id = None if tag is None else await procurement_of(uow, bid_key, tag)
    if procurement_id is None:
        raise missing
    found = await bidding(uow, bid_key, principal, procurement_id)
    query = select(Bid).where(Bid.id == bid_id)
    bid = await uow.session.scalar(query.with_for_update() if lock else query)
    if bid is None or not _bids_for(bid.bidder, found, principal.organisation_id):
        raise missing
    return found, bid


def _bids_for(bidder: str, found: Bidding, firm_id: int) -> bool:
    return hmac.compare_digest(bidder, bidder_token(found.dek, firm_id))


async def _check_may_bid(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    firm_id: int,
    now: datetime,
) -> None:
    reasons = await refusal_reasons(uow, vocabulary, terms, draft, firm_id, now)
    if reasons:
        raise BidNotAllowed(reasons)


async def _first_write(
    uow: UnitOfWork,
    plain: Any,
    if_eligible: Callable[[Vocabulary, Requirements], Prepared],
    params: dict[str, Any],
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    requirements: Requirements | None,
    firm_id: int,
    now: datetime,
) -> Any:
    """The bid's first write (``plain``'s one returned value, or None if it wrote nothing),
    with the firm's eligibility now asked in the same statement: nearly every bidder is
    eligible, and this saves a round trip each. Nothing written means either that the firm
    may not bid — then its reasons are listed, as before any write — or that ``plain`` itself
    finds nothing to do (a live bid already, a bid withdrawn meanwhile), which running it
    once eligibility is settled tells. ``requirements``: what the terms ask of a bidder
    (:func:`bid_terms`), None if they no longer read."""
    if requirements is not None:
        statement = if_eligible(vocabulary, requirements)
        value = await statement.scalar(uow, {**params, **firm_eligible_params(firm_id, now)})
        if value is not None:
            return value
    await _check_may_bid(uow, vocabulary, terms, draft, firm_id, now)
    return (await uow.session.execute(plain, params)).scalar_one_or_none()


def _check_open(terms: ProcurementTerms, row: Procurement, now: datetime) -> None:
    rules.check_bidding_open(
        row.status,
        row.bid_deadline,
        now,
        takes_bids=terms.of(row.kind).takes_bids,
        cancel_reason=row.cancel_reason,
    )


# -- the operations ------------------------------------------------------------------------------
async def submit(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    bid_key: KeyEncryptionKey,
    procurement_id: int,
    quote: Quote,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    attachments: Sequence[Attachment] = (),
    idempotency_key: str | None = None,
    request_body: bytes = b"",
) -> Receipt:
    """A firm's first bid on a procurement (or a new one after it withdrew): checked against
    the stored terms, the firm's eligibility now and the avoidance list, sealed, stored."""
    firm_id = _firm_of(principal)

    def closed_first(row: Procurement) -> None:
        # a procurement that takes no bids has no data key: say that bidding is not open
        if not terms.of(row.kind).takes_bids:
            _check_open(terms, row, now)

    found = await bidding(uow, bid_key, principal, procurement_id, takes_bids=closed_first)
    row = found.row
    tags = request_tags(found.dek, principal, idempotency_key, "submit", request_body)
    replay = await replayed(uow, row, tags)
    if replay is not None:
        return replay
    _check_open(terms, row, now)
    draft, requirements = bid_terms(vocabulary, terms, row)
    rules.check_quote(draft, quote)
    rules.check_attachments(terms.attachments, attachments)
    bidder = bidder_token(found.dek, firm_id)
    tag = procurement_tag(bid_key, row.id)
    values = {
        "procurement_tag": tag,
        "bidder": bidder,
        "current_version": 1,
        "confirmed_terms_version": found.terms_version,
        "created_at": now,
        "updated_at": now,
    }
    bid_id = await _first_write(
        uow, NEW_BID, NEW_BID_IF_ELIGIBLE, values, vocabulary, terms, draft, requirements, firm_id,
        now,
    )
    if bid_id is None:
        # a retry that raced its first attempt finds the first answer now
        replay = await replayed(uow, row, tags)
        if replay is not None:
            return replay
        live = await uow.session.scalar(
            select(Bid.id).where(Bid.procurement_tag == tag, Bid.bidder == bidder, Bid.withdrawn_at.is_(None))
        )
        raise Conflict(
            f"your firm already has a live bid on this procurement: bid {live}; replace or withdraw it",
            bid_id=live,
        )
    digest = await seal_version(
        uow, actor, found, bid_id, firm_id, 1, found.terms_version, quote, attachments, now, tags,
        "bid:submitted",
    )
    express.remember(bid_key, found, vocabulary, terms, draft, requirements, bid_id, firm_id, bidder, 1)
    return receipt_from(
        row, bid_id=bid_id, withdrawn_at=None, confirmed_terms_version=found.terms_version,
        version=1, submitted_at=now, digest=digest,
    )


async def replace(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    bid_key: KeyEncryptionKey,
    bid_id: int,
    quote: Quote,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    attachments: Sequence[Attachment] = (),
    idempotency_key: str | None = None,
    request_body: bytes = b"",
) -> Receipt:
    """A new version of the firm's live bid; every earlier version is kept. Replacing also
    confirms the current terms."""
    firm_id = _firm_of(principal)
    missing = NotFound(f"your firm has no bid {bid_id}", bid_id=bid_id)
    held = await HELD.row(uow, {"bid_id": bid_id})
    if held is None:
        raise missing
    held_tag, held_bidder, withdrawn_at = held
    procurement_id = await procurement_of(uow, bid_key, held_tag)
    if procurement_id is None:
        raise missing
    found = await bidding(uow, bid_key, principal, procurement_id)
    if not _bids_for(held_bidder, found, firm_id):
        raise missing
    row = found.row
    tags = request_tags(found.dek, principal, idempotency_key, f"replace {bid_id}", request_body)
    if tags is not None:
        # a retry racing its first attempt waits for it here, then finds its receipt
        await uow.session.execute(LOCK_BID, {"bid_id": bid_id})
    replay = await replayed(uow, row, tags)
    if replay is not None:
        return replay
    _check_open(terms, row, now)
    if withdrawn_at is not None:
        raise _withdrawn(bid_id)
    draft, requirements = bid_terms(vocabulary, terms, row)
    rules.check_quote(draft, quote)
    rules.check_attachments(terms.attachments, attachments)
    # The first write, and the bid's row lock (after the procurement's share lock, as
    # everywhere): the new version number comes from the row itself, and a bid withdrawn
    # meanwhile matches nothing, so nothing is written.
    version = await _first_write(
        uow,
        NEXT_VERSION,
        NEXT_VERSION_IF_ELIGIBLE,
        {"bid_id": bid_id, "confirmed": found.terms_version, "now": now},
        vocabulary, terms, draft, requirements, firm_id, now,
    )
    if version is None:
        raise _withdrawn(bid_id)
    digest = await seal_version(
        uow, actor, found, bid_id, firm_id, version, found.terms_version, quote, attachments, now,
        tags, "bid:replaced",
    )
    express.remember(
        bid_key, found, vocabulary, terms, draft, requirements, bid_id, firm_id, held_bidder, version
    )
    return receipt_from(
        row, bid_id=bid_id, withdrawn_at=None, confirmed_terms_version=found.terms_version,
        version=version, submitted_at=now, digest=digest,
    )


def _withdrawn(bid_id: int) -> Conflict:
    return Conflict(f"bid {bid_id} was withdrawn; submit a new bid instead", bid_id=bid_id)


def _check_live(bid: Bid) -> None:
    if bid.withdrawn_at is not None:
        raise _withdrawn(bid.id)


async def withdraw(
    uow: UnitOfWork, actor: Actor, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int, now: datetime
) -> Receipt:
    """Withdraw the firm's live bid before the deadline; its versions stay, it no longer counts."""
    found, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=True)
    row = found.row
    _check_open_for(row, now)
    _check_live(bid)
    bid.withdrawn_at = bid.updated_at = now
    express.forget(bid.id)
    return await _audited(uow, row, bid, "bid:withdrawn")


async def reconfirm(
    uow: UnitOfWork, actor: Actor, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int, now: datetime
) -> Receipt:
    """Confirm the bid against the procurement's current terms after an amendment (the quote
    stays sealed: a quote the amended ceiling or floor no longer allows does not count at
    the opening, so replace it instead)."""
    found, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=True)
    row = found.row
    _check_open_for(row, now)
    _check_live(bid)
    bid.confirmed_terms_version = found.terms_version
    bid.updated_at = now
    return await _audited(uow, row, bid, "bid:reconfirmed")


async def _audited(uow: UnitOfWork, row: Procurement, bid: Bid, action: str) -> Receipt:
    """The receipt for a withdrawn or re-confirmed bid, audited as the other sealed-bid acts
    are: under SEALED_ACTOR, with the version and its digest."""
    version = await version_of(uow, bid)
    await uow.session.flush()
    details = {"version": bid.current_version, "digest": version.digest}
    await audit.record(uow, SEALED_ACTOR, action, "bid", bid.id, details)
    return receipt_of(row, bid, version)


def _check_open_for(row: Procurement, now: datetime) -> None:
    # a procurement with a data key takes bids; no terms needed to know it
    rules.check_bidding_open(
        row.status, row.bid_deadline, now, takes_bids=True, cancel_reason=row.cancel_reason
    )


async def receipt(uow: UnitOfWork, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int) -> Receipt:
    """The receipt of the firm's own bid (its current version); anyone else: 404."""
    found, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=False)
    return receipt_of(found.row, bid, await version_of(uow, bid))


async def my_bid(
    uow: UnitOfWork, principal: Principal, bid_key: KeyEncryptionKey, procurement_id: int
) -> Receipt | None:
    """The firm's bid on the procurement: the live one, else the latest withdrawn; None if
    it never bid (or the caller bids for no firm)."""
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        return None
    row = await shared_procurement(uow, principal, procurement_id)
    if row.reference is None or row.quote_mode is None:
        return None
    dek = await data_key(uow, bid_key, row)
    bid = await uow.session.scalar(
        select(Bid)
        .where(
            Bid.procurement_tag == procurement_tag(bid_key, row.id),
            Bid.bidder == bidder_token(dek, principal.organisation_id),
        )
        .order_by(Bid.withdrawn_at.is_not(None), Bid.id.desc())
        .limit(1)
    )
    if bid is None:
        return None
    return receipt_of(row, bid, await version_of(uow, bid))
