"""The opening (开标): the one place that reads sealed bids.

Only :mod:`market.lifecycle` imports this module (an import-linter contract in pyproject.toml
says so): nothing a user can call decrypts a bid. At the opening, for each live bid, the
current version's envelope gives the firm, the firm gives the identity the quote was sealed
under, and the quote opens; then every rule is checked again — the quote against the terms
as they stand (an amendment may have moved the ceiling), the re-confirmation after an
amendment, the firm's eligibility and the avoidance list at the deadline. A bid that fails
stays on the list with ``counted: false`` and the reason; a bid that does not open
(altered, moved between rows) is listed as such, never silently dropped.

The list is stored once (``bid_opening``, with the SHA-256 of its canonical JSON), the
procurement moves from ``bidding_closed`` to ``opened``, and the audit entry publishes the
list and, per bid, who submitted each version: what was sealed is revealed now, and the
audit chain ties the earlier sealed entries (bid id, version, digest) to it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.bidding import rules
from market.bidding.rules import Reason
from market.bidding.store import data_key, eligible_among, firm_reasons
from market.db import UnitOfWork
from market.errors import NotFound
from market.models import Bid, BidOpening, BidVersion, Organisation, Procurement
from market.procurement.service import stored_terms
from market.procurement.states import transition
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import (
    BidIdentity,
    Quote,
    SealedBid,
    open_envelope,
    open_quote,
    utc_text,
)
from market.sealed.keys import DataKey, KeyEncryptionKey, SealBroken, canonical_json, procurement_tag

log = logging.getLogger("market.opening")

OPENING_ACTOR = Actor.system("开标（系统）")


@dataclass(frozen=True, slots=True)
class Opened:
    procurement_id: int
    reference: str
    opened_at: datetime
    entries: list[dict[str, Any]]
    list_sha256: str


def list_digest(entries: list[dict[str, Any]]) -> str:
    """SHA-256 of the opening list's canonical JSON (sorted keys, no spaces, ASCII)."""
    return hashlib.sha256(canonical_json(entries)).hexdigest()


@dataclass(slots=True)
class _Opening:
    """One live bid as the opening reads it."""

    bid: Bid
    version: BidVersion
    firm_id: int | None = None
    user_id: int | None = None
    quote: Quote | None = None
    broken: str = ""


def _open_one(dek: DataKey, reference: str, bid: Bid, version: BidVersion) -> _Opening:
    opening = _Opening(bid, version)
    try:
        envelope = open_envelope(dek, bid.id, reference, version.version, version.envelope)
        opening.firm_id, opening.user_id = envelope.firm_id, envelope.user_id
        sealed = SealedBid(
            identity=BidIdentity(bid.id, reference, envelope.firm_id, version.version),
            bidder=bid.bidder,
            nonce=version.nonce,
            ciphertext=version.ciphertext,
            attachments=tuple(version.attachments),
            submitted_at=version.submitted_at,
        )
        if sealed.digest != version.digest:
            raise SealBroken(f"sealed bid {bid.id} version {version.version} does not match its digest")
        opening.quote = open_quote(dek, sealed)
    except SealBroken as exc:
        log.error("at the opening of %s: %s", reference, exc.message)
        opening.broken = exc.message
    return opening


async def _firms(uow: UnitOfWork, firm_ids: set[int]) -> dict[int, tuple[str, str]]:
    rows = await uow.session.execute(
        select(Organisation.id, Organisation.name, Organisation.uscc).where(Organisation.id.in_(firm_ids))
    )
    return {firm_id: (name, uscc or "") for firm_id, name, uscc in rows}


async def _reason(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    row: Procurement,
    opening: _Opening,
    eligible: set[int],
    uscc: str,
) -> Reason | None:
    """Why a bid that opened does not count, or None when it counts. ``eligible``: the bid
    firms that meet the requirements at the deadline, found in one query; only the others
    are explained one by one (the reasons come from the same rules)."""
    if opening.broken or opening.quote is None or opening.firm_id is None:
        return Reason("seal-broken", opening.broken or "the sealed bid does not open")
    if opening.bid.confirmed_terms_version < row.bids_valid_from:
        return Reason("not-reconfirmed", "not re-confirmed after the amendment (变更公告) bidders rely on")
    draft = stored_terms(row)
    quoted = rules.quote_reason(draft, opening.quote)
    if quoted is not None:
        return quoted
    if opening.firm_id in eligible:
        return rules.avoidance_reason(draft, uscc)
    at = row.bid_deadline or row.updated_at
    reasons = await firm_reasons(uow, vocabulary, terms, draft, opening.firm_id, at)
    return reasons[0] if reasons else None


async def open_bids(
    uow: UnitOfWork,
    bid_key: KeyEncryptionKey,
    procurement_id: int,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> Opened:
    """Open the bids of a procurement whose bidding has closed; the caller commits."""
    row = await uow.session.scalar(
        select(Procurement).where(Procurement.id == procurement_id).with_for_update()
    )
    if row is None or row.reference is None:
        raise NotFound(f"there is no published procurement {procurement_id}", procurement_id=procurement_id)
    change = transition(row.status, "open", now=now)
    reference = row.reference
    dek = await data_key(uow, bid_key, row)
    bids = list(
        await uow.session.scalars(
            select(Bid).where(Bid.procurement_tag == procurement_tag(bid_key, row.id)).order_by(Bid.id)
        )
    )
    versions = {
        (v.bid_id, v.version): v
        for v in await uow.session.scalars(
            select(BidVersion).where(BidVersion.bid_id.in_([b.id for b in bids]))
        )
    }
    live = [
        _open_one(dek, reference, bid, versions[(bid.id, bid.current_version)])
        for bid in bids
        if bid.withdrawn_at is None
    ]
    firm_ids = {o.firm_id for o in live if o.firm_id is not None}
    firms = await _firms(uow, firm_ids)
    at = row.bid_deadline or row.updated_at
    eligible = await eligible_among(uow, vocabulary, terms, stored_terms(row), firm_ids, at)
    entries: list[dict[str, Any]] = []
    for opening in live:
        name, uscc = firms.get(opening.firm_id or 0, ("", ""))
        reason = await _reason(uow, vocabulary, terms, row, opening, eligible, uscc)
        quote = opening.quote
        entries.append(
            {
                "bid_id": opening.bid.id,
                "firm_id": opening.firm_id,
                "firm_name": name,
                "uscc": uscc,
                "quote_mode": quote.mode if quote else None,
                "quote_value": format(quote.value, "f") if quote else None,
                "submitted_at": utc_text(opening.version.submitted_at),
                "version": opening.version.version,
                "digest": opening.version.digest,
                "counted": reason is None,
                "reason": reason.as_dict() if reason else None,
            }
        )
    digest = list_digest(entries)
    uow.session.add(BidOpening(procurement_id=row.id, opened_at=now, entries=entries, list_sha256=digest))
    row.status = change.to
    row.updated_at = now
    await uow.session.flush()
    details = _details(dek, reference, bids, versions)
    await audit.record(
        uow,
        OPENING_ACTOR,
        change.audit_action,
        "procurement",
        row.id,
        {"reference": reference, "list_sha256": digest, "entries": entries, "bids": details},
    )
    return Opened(row.id, reference, now, entries, digest)


def _details(
    dek: DataKey, reference: str, bids: list[Bid], versions: dict[tuple[int, int], BidVersion]
) -> list[dict[str, Any]]:
    """Every bid, withdrawn ones too, with who submitted each version: the sealed audit
    entries (bid id, version, digest) before the opening tie to these."""
    details = []
    for bid in bids:
        history = []
        for number in range(1, bid.current_version + 1):
            version = versions[(bid.id, number)]
            firm_id: int | None = None
            user_id: int | None = None
            try:
                envelope = open_envelope(dek, bid.id, reference, number, version.envelope)
                firm_id, user_id = envelope.firm_id, envelope.user_id
            except SealBroken:
                pass  # listed as it is: the entry names the bid, version and digest
            history.append(
                {
                    "version": number,
                    "firm_id": firm_id,
                    "user_id": user_id,
                    "submitted_at": utc_text(version.submitted_at),
                    "digest": version.digest,
                }
            )
        details.append(
            {
                "bid_id": bid.id,
                "withdrawn_at": utc_text(bid.withdrawn_at) if bid.withdrawn_at else None,
                "confirmed_terms_version": bid.confirmed_terms_version,
                "versions": history,
            }
        )
    return details
