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

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from market import audit, policy
from market.audit import Actor
from market.bidding import rules
from market.bidding.rules import BidNotAllowed, Reason
from market.bidding.store import (
    Receipt,
    data_key,
    procurement_of,
    receipt_of,
    terms_version,
    version_of,
)
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import Bid, BidVersion, Organisation, Procurement
from market.principal import Principal, Role
from market.procurement.draft import DraftTerms
from market.procurement.service import stored_terms
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import explain
from market.registry.records import InvalidRecord
from market.registry.requirements import requirements_from
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import (
    Attachment,
    BidIdentity,
    Envelope,
    Quote,
    bidder_token,
    canonical_json,
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

IDEMPOTENCY_KEY_MOST = 200
NOT_A_BIDDER = "bids are made by an intermediary (中介机构) account of its firm"


# -- who bids ---------------------------------------------------------------------------------
def _firm_of(principal: Principal) -> int:
    """The firm the principal bids for."""
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied(NOT_A_BIDDER)
    return principal.organisation_id


async def _procurement(uow: UnitOfWork, principal: Principal | None, procurement_id: int) -> Procurement:
    """The procurement under a share lock; a draft the caller cannot see does not exist."""
    row = await uow.session.scalar(
        select(Procurement).where(Procurement.id == procurement_id).with_for_update(read=True)
    )
    if row is None or not policy.may_see_procurement(principal, row.owner_organisation_id, row.status.public):
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    return row


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
    row = await _procurement(uow, principal, procurement_id)
    dek = await data_key(uow, bid_key, row)
    query = select(Bid).where(Bid.id == bid_id)
    bid = await uow.session.scalar(query.with_for_update() if lock else query)
    if bid is None or not hmac.compare_digest(bid.bidder, bidder_token(dek, principal.organisation_id)):
        raise missing
    return row, dek, bid


async def _may_bid(
    uow: UnitOfWork, vocabulary: Vocabulary, draft: DraftTerms, registry: str, firm_id: int, now: datetime
) -> list[Reason]:
    """Avoidance first (its reason is the owner's), then the registries' eligibility at
    ``now`` against the requirements the procurement stored."""
    uscc = await uow.session.scalar(select(Organisation.uscc).where(Organisation.id == firm_id))
    avoided = rules.avoidance_reason(draft, uscc)
    if avoided is not None:
        return [avoided]
    try:
        requirements = requirements_from(vocabulary, {**draft.requirements, "kind": registry})
    except InvalidRecord:  # stored terms were checked at publication; a changed vocabulary
        unreadable = "the procurement's requirements no longer read; ask the owner"
        return [Reason("requirements-unreadable", unreadable)]
    try:
        explanation = await explain(uow, vocabulary, requirements, firm_id, now)
    except NotFound:
        return [Reason("not-a-firm", "your organisation is not a firm in the registries")]
    return [Reason(r.code, r.message) for r in explanation.reasons]


async def _check_may_bid(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    row: Procurement,
    firm_id: int,
    now: datetime,
) -> DraftTerms:
    draft = stored_terms(row)
    reasons = await _may_bid(uow, vocabulary, draft, terms.of(row.kind).registry, firm_id, now)
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


# -- Idempotency-Key ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Tags:
    idempotency: str
    request: str


def _tags(dek: DataKey, principal: Principal, key: str | None, operation: str, body: bytes) -> _Tags | None:
    """HMACs under the procurement's data key of (user, key) and of (operation, body): a retry
    finds its first answer, and the row shows neither who sent it nor what."""
    if key is None:
        return None
    if not key or len(key) > IDEMPOTENCY_KEY_MOST or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            f"an Idempotency-Key is 1 to {IDEMPOTENCY_KEY_MOST} printable ASCII characters",
            field="Idempotency-Key",
        )
    subkey = dek.subkey(b"market bid idempotency/1")
    ident = hmac.new(subkey, canonical_json(["key", principal.user_id, key]), hashlib.sha256).hexdigest()
    request = hmac.new(subkey, canonical_json(["request", operation]) + b"\0" + body, hashlib.sha256)
    return _Tags(ident, request.hexdigest())


async def _replayed(uow: UnitOfWork, row: Procurement, tags: _Tags | None) -> Receipt | None:
    """The first answer to a retried request, or None for a new one; the same key with
    another request is a 409."""
    if tags is None:
        return None
    earlier = await uow.session.scalar(
        select(BidVersion).where(BidVersion.idempotency_tag == tags.idempotency)
    )
    if earlier is None:
        return None
    if earlier.request_tag is None or not hmac.compare_digest(earlier.request_tag, tags.request):
        raise Conflict(
            "this Idempotency-Key was already used for another request; send a new key for a new bid",
            code_detail="idempotency-key-reused",
        )
    bid = await uow.session.get(Bid, earlier.bid_id)
    assert bid is not None
    return receipt_of(row, bid, earlier)


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
    tags: _Tags | None,
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
    row = await _procurement(uow, principal, procurement_id)
    if not terms.of(row.kind).takes_bids:
        _check_open(terms, row, now)
    dek = await data_key(uow, bid_key, row)
    tags = _tags(dek, principal, idempotency_key, "submit", request_body)
    replay = await _replayed(uow, row, tags)
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
        replay = await _replayed(uow, row, tags)
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
    tags = _tags(dek, principal, idempotency_key, f"replace {bid_id}", request_body)
    replay = await _replayed(uow, row, tags)
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
    row = await _procurement(uow, principal, procurement_id)
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


# -- may I bid? ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the principal's firm may bid on a procurement now, and every reason why not."""

    procurement_id: int
    may_bid: bool
    reasons: tuple[Reason, ...]


async def bid_readiness(
    uow: UnitOfWork,
    principal: Principal,
    vocabulary: Vocabulary,
    procurement_id: int,
    now: datetime,
    *,
    terms: ProcurementTerms | None = None,
) -> Readiness:
    """What the intermediary's pages show beside a procurement: bidding open or not, the
    avoidance list, the registries' eligibility, each by code."""
    row = await _procurement(uow, principal, procurement_id)
    takes_bids = terms.of(row.kind).takes_bids if terms is not None else row.quote_mode is not None
    reasons: list[Reason] = []
    closed = rules.bidding_reason(
        row.status, row.bid_deadline, now, takes_bids=takes_bids, cancel_reason=row.cancel_reason
    )
    if closed is not None:
        reasons.append(closed)
    if Role.INTERMEDIARY not in principal.roles or principal.organisation_id is None:
        reasons.append(Reason("not-a-bidder", NOT_A_BIDDER))
    elif takes_bids:
        registry = terms.of(row.kind).registry if terms is not None else "intermediary"
        reasons += await _may_bid(
            uow, vocabulary, stored_terms(row), registry, principal.organisation_id, now
        )
    return Readiness(row.id, not reasons, tuple(reasons))
