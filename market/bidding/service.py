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
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from market import audit
from market.audit import Actor
from market.bidding import rules
from market.bidding.idempotency import RequestTags, replayed, request_tags
from market.bidding.readiness import NOT_A_BIDDER, Readiness, bid_readiness
from market.bidding.rules import BidNotAllowed
from market.bidding.store import (
    Receipt,
    data_key,
    firm_reasons,
    procurement_of,
    receipt_of,
    shared_procurement,
    terms_version,
    version_of,
)
from market.db import UnitOfWork
from market.errors import Conflict, NotFound, PermissionDenied
from market.models import Bid, BidVersion, Procurement
from market.principal import Principal, Role
from market.procurement.draft import DraftTerms
from market.procurement.service import stored_terms
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import (
    Attachment,
    BidIdentity,
    Envelope,
    Quote,
    bidder_token,
    seal_bid,
    seal_envelope,
)
from market.sealed.keys import DataKey, KeyEncryptionKey, procurement_tag

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

SEALED_ACTOR = Actor(None, "投标人（开标前保密）")
"""Who the audit log says acted on a bid before the opening; the opening's entry names the
firm and the user of every version."""


# -- who bids ---------------------------------------------------------------------------------
def _firm_of(principal: Principal) -> int:
    """The firm the principal bids for."""
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied(NOT_A_BIDDER)
    return principal.organisation_id


async def _own_bid(
    uow: UnitOfWork, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int, *, lock: bool
) -> tuple[Procurement, DataKey, Bid]:
    """The caller's firm's bid ``bid_id`` with its procurement (share-locked) and data key;
    anyone else's bid does not exist for the caller."""
    missing = NotFound(f"your firm has no bid {bid_id}", bid_id=bid_id)
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        raise missing
    tag = await uow.session.scalar(select(Bid.procurement_tag).where(Bid.id == bid_id))
    procurement_id = None if tag is None else await procurement_of(uow, bid_key, tag)
    if procurement_id is None:
        raise missing
    row = await shared_procurement(uow, principal, procurement_id)
    dek = await data_key(uow, bid_key, row)
    query = select(Bid).where(Bid.id == bid_id)
    bid = await uow.session.scalar(query.with_for_update() if lock else query)
    if bid is None or not hmac.compare_digest(bid.bidder, bidder_token(dek, principal.organisation_id)):
        raise missing
    return row, dek, bid


async def _check_may_bid(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    row: Procurement,
    firm_id: int,
    now: datetime,
) -> DraftTerms:
    draft = stored_terms(row)
    reasons = await firm_reasons(uow, vocabulary, draft, terms.of(row.kind).registry, firm_id, now)
    if reasons:
        raise BidNotAllowed(reasons)
    return draft


def _check_open(terms: ProcurementTerms, row: Procurement, now: datetime) -> None:
    rules.check_bidding_open(
        row.status,
        row.bid_deadline,
        now,
        takes_bids=terms.of(row.kind).takes_bids,
        cancel_reason=row.cancel_reason,
    )


# -- writing a version -------------------------------------------------------------------------
async def _seal_version(
    uow: UnitOfWork,
    actor: Actor,
    dek: DataKey,
    row: Procurement,
    bid: Bid,
    firm_id: int,
    version: int,
    quote: Quote,
    attachments: Sequence[Attachment],
    now: datetime,
    tags: RequestTags | None,
    action: str,
) -> BidVersion:
    assert row.reference is not None
    identity = BidIdentity(bid.id, row.reference, firm_id, version)
    sealed = seal_bid(dek, identity, quote, now, attachments)
    envelope = Envelope(identity.firm_id, actor.id or 0, actor.address)
    stored = BidVersion(
        bid_id=bid.id,
        version=version,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        attachments=list(sealed.attachments),
        envelope=seal_envelope(dek, identity, envelope),
        terms_version=bid.confirmed_terms_version,
        digest=sealed.digest,
        submitted_at=now,
        idempotency_tag=tags.idempotency if tags else None,
        request_tag=tags.request if tags else None,
    )
    uow.session.add(stored)
    await uow.session.flush()
    await audit.record(
        uow, SEALED_ACTOR, action, "bid", bid.id, {"version": version, "digest": sealed.digest}
    )
    return stored


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
    row = await shared_procurement(uow, principal, procurement_id)
    if not terms.of(row.kind).takes_bids:
        _check_open(terms, row, now)
    dek = await data_key(uow, bid_key, row)
    tags = request_tags(dek, principal, idempotency_key, "submit", request_body)
    replay = await replayed(uow, row, tags)
    if replay is not None:
        return replay
    _check_open(terms, row, now)
    draft = stored_terms(row)
    rules.check_quote(draft, quote)
    rules.check_attachments(terms.attachments, attachments)
    await _check_may_bid(uow, vocabulary, terms, row, firm_id, now)
    bidder = bidder_token(dek, firm_id)
    tag = procurement_tag(bid_key, row.id)
    confirmed = await terms_version(uow, row.id)
    inserted = await uow.session.execute(
        insert(Bid)
        .values(
            procurement_tag=tag,
            bidder=bidder,
            current_version=1,
            confirmed_terms_version=confirmed,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[Bid.procurement_tag, Bid.bidder], index_where=Bid.withdrawn_at.is_(None)
        )
        .returning(Bid.id)
    )
    bid_id = inserted.scalar_one_or_none()
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
    bid = await uow.session.get(Bid, bid_id)
    assert bid is not None
    version = await _seal_version(
        uow, actor, dek, row, bid, firm_id, 1, quote, attachments, now, tags, "bid:submitted"
    )
    return receipt_of(row, bid, version)


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
    row, dek, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=True)
    tags = request_tags(dek, principal, idempotency_key, f"replace {bid_id}", request_body)
    replay = await replayed(uow, row, tags)
    if replay is not None:
        return replay
    _check_open(terms, row, now)
    _check_live(bid)
    draft = stored_terms(row)
    rules.check_quote(draft, quote)
    rules.check_attachments(terms.attachments, attachments)
    await _check_may_bid(uow, vocabulary, terms, row, firm_id, now)
    bid.current_version += 1
    bid.confirmed_terms_version = await terms_version(uow, row.id)
    bid.updated_at = now
    version = await _seal_version(
        uow, actor, dek, row, bid, firm_id, bid.current_version, quote, attachments, now, tags, "bid:replaced"
    )
    return receipt_of(row, bid, version)


def _check_live(bid: Bid) -> None:
    if bid.withdrawn_at is not None:
        raise Conflict(f"bid {bid.id} was withdrawn; submit a new bid instead", bid_id=bid.id)


async def withdraw(
    uow: UnitOfWork, actor: Actor, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int, now: datetime
) -> Receipt:
    """Withdraw the firm's live bid before the deadline; its versions stay, it no longer counts."""
    row, _, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=True)
    _check_open_for(row, now)
    _check_live(bid)
    bid.withdrawn_at = bid.updated_at = now
    version = await version_of(uow, bid)
    await uow.session.flush()
    await audit.record(
        uow,
        SEALED_ACTOR,
        "bid:withdrawn",
        "bid",
        bid.id,
        {"version": bid.current_version, "digest": version.digest},
    )
    return receipt_of(row, bid, version)


async def reconfirm(
    uow: UnitOfWork, actor: Actor, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int, now: datetime
) -> Receipt:
    """Confirm the bid against the procurement's current terms after an amendment (the quote
    stays sealed: a quote the amended ceiling or floor no longer allows does not count at
    the opening, so replace it instead)."""
    row, _, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=True)
    _check_open_for(row, now)
    _check_live(bid)
    bid.confirmed_terms_version = await terms_version(uow, row.id)
    bid.updated_at = now
    version = await version_of(uow, bid)
    await uow.session.flush()
    await audit.record(
        uow,
        SEALED_ACTOR,
        "bid:reconfirmed",
        "bid",
        bid.id,
        {"version": bid.current_version, "digest": version.digest},
    )
    return receipt_of(row, bid, version)


def _check_open_for(row: Procurement, now: datetime) -> None:
    # a procurement with a data key takes bids; no terms needed to know it
    rules.check_bidding_open(
        row.status, row.bid_deadline, now, takes_bids=True, cancel_reason=row.cancel_reason
    )


async def receipt(uow: UnitOfWork, principal: Principal, bid_key: KeyEncryptionKey, bid_id: int) -> Receipt:
    """The receipt of the firm's own bid (its current version); anyone else: 404."""
    row, _, bid = await _own_bid(uow, principal, bid_key, bid_id, lock=False)
    return receipt_of(row, bid, await version_of(uow, bid))


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
