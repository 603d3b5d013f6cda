"""Writing sealed bids: the statements of a bid's hot path (submitting and replacing), and
sealing one version with its audit entry.

Secrecy (docs/sealed-bids.md): the rows name neither the firm nor the procurement in clear,
and the audit entry has the sealed actor and only {version, digest}.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from market import audit
from market.audit import Actor
from market.bidding.idempotency import RequestTags
from market.bidding.store import Bidding
from market.db import UnitOfWork
from market.models import Bid, BidVersion
from market.prepared import Prepared
from market.registry.eligibility import Requirements, firm_eligible_clause
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import Attachment, BidIdentity, Envelope, Quote, seal_bid, seal_envelope
from market.sealed.keys import DataKey

SEALED_ACTOR = Actor(None, "投标人（开标前保密）")
"""Who the audit log says acted on a bid before the opening; the opening's entry names the
firm and the user of every version."""

# The statements of the hot path (submitting and replacing), built once: building one and
# its cache key costs more Python time than PostgreSQL spends on it. Table columns rather
# than mapped attributes, so no ORM machinery runs for them.
_BIDS = cast("Table", Bid.__table__)
_VERSIONS = cast("Table", BidVersion.__table__)
_BID = _BIDS.c
HELD = Prepared(
    select(_BID.procurement_tag, _BID.bidder, _BID.withdrawn_at).where(_BID.id == bindparam("bid_id")),
    ["bid_id"],
)
LOCK_BID = select(_BID.id).where(_BID.id == bindparam("bid_id")).with_for_update()
NEW_BID = (
    insert(_BIDS)
    .on_conflict_do_nothing(
        index_elements=[_BID.procurement_tag, _BID.bidder], index_where=_BID.withdrawn_at.is_(None)
    )
    .returning(_BID.id)
)
NEXT_VERSION = (
    update(_BIDS)
    .where(_BID.id == bindparam("bid_id"), _BID.withdrawn_at.is_(None))
    .values(
        current_version=_BID.current_version + 1,
        confirmed_terms_version=bindparam("confirmed"),
        updated_at=bindparam("now"),
    )
    .returning(_BID.current_version)
)
_VERSION_PARAMETERS = (
    "bid_id", "version", "nonce", "ciphertext", "attachments", "envelope", "terms_version", "digest",
    "submitted_at", "idempotency_tag", "request_tag",
)
_NEW_VERSION_AUDITED = Prepared(audit.with_entry(
    "version AS (INSERT INTO bid_version (bid_id, version, nonce, ciphertext, attachments,"
    " envelope, terms_version, digest, submitted_at, idempotency_tag, request_tag)"
    " VALUES (:bid_id, :version, :nonce, :ciphertext, :attachments, :envelope, :terms_version,"
    " :digest, :submitted_at, :idempotency_tag, :request_tag))"
), [*_VERSION_PARAMETERS, *audit.ENTRY_PARAMETERS])
"""The version and its audit entry in one statement (one round trip)."""
_NEW_BID_COLUMNS = (
    "procurement_tag", "bidder", "current_version", "confirmed_terms_version", "created_at", "updated_at"
)


def _new_bid_if(eligible: Any) -> Any:
    values = select(*(bindparam(name, type_=_BID[name].type) for name in _NEW_BID_COLUMNS)).where(eligible)
    return (
        insert(_BIDS)
        .from_select(list(_NEW_BID_COLUMNS), values)
        .on_conflict_do_nothing(
            index_elements=[_BID.procurement_tag, _BID.bidder], index_where=_BID.withdrawn_at.is_(None)
        )
        .returning(_BID.id)
    )


def _next_version_if(eligible: Any) -> Any:
    return NEXT_VERSION.where(eligible)


class _IfEligible:
    """A hot-path write that also asks the registries whether the firm may bid, in its WHERE:
    the eligibility EXISTS and the first write in one round trip instead of two. Kept per
    requirements (a procurement's bids all ask the same); the clause is checked by identity,
    so a statement is never paired with another requirements' clause."""

    def __init__(self, build: Callable[[Any], Any], runtime: Sequence[str]) -> None:
        self.build = build
        self.runtime = (*runtime, *_ELIGIBILITY_PARAMETERS)
        self.kept: dict[Requirements, tuple[Any, Prepared]] = {}

    def __call__(self, vocabulary: Vocabulary, requirements: Requirements) -> Prepared:
        clause = firm_eligible_clause(vocabulary, requirements)
        kept = self.kept.get(requirements)
        if kept is not None and kept[0] is clause:
            return kept[1]
        if len(self.kept) >= 256:
            self.kept.clear()
        statement = Prepared(self.build(clause), self.runtime)
        self.kept[requirements] = (clause, statement)
        return statement


_ELIGIBILITY_PARAMETERS = ("at", "day", "firm_id")  # firm_eligible_params
NEW_BID_IF_ELIGIBLE = _IfEligible(_new_bid_if, _NEW_BID_COLUMNS)
"""NEW_BID, inserting nothing (no id back) when the firm is not eligible now either; takes
:func:`firm_eligible_params` besides NEW_BID's own."""
NEXT_VERSION_IF_ELIGIBLE = _IfEligible(_next_version_if, ("bid_id", "confirmed", "now"))
"""NEXT_VERSION, updating nothing when the firm is not eligible now either."""

async def seal_version(
    uow: UnitOfWork,
    actor: Actor,
    found: Bidding,
    bid_id: int,
    firm_id: int,
    version: int,
    confirmed_terms_version: int,
    quote: Quote,
    attachments: Sequence[Attachment],
    now: datetime,
    tags: RequestTags | None,
    action: str,
) -> str:
    """Seal and store one version with its audit entry (one statement); its digest."""
    assert found.row.reference is not None
    identity = BidIdentity(bid_id, found.row.reference, firm_id, version)
    values, digest = sealed_version(
        found.dek, identity, actor, confirmed_terms_version, quote, attachments, now, tags
    )
    audited = {"version": version, "digest": digest}
    await _NEW_VERSION_AUDITED.row(
        uow, {**values, **audit.entry_values(uow, SEALED_ACTOR, action, "bid", bid_id, audited)}
    )
    audit.entry_written(uow, SEALED_ACTOR, action, "bid", bid_id)
    return digest


def sealed_version(
    dek: DataKey,
    identity: BidIdentity,
    actor: Actor,
    confirmed_terms_version: int,
    quote: Quote,
    attachments: Sequence[Attachment],
    now: datetime,
    tags: RequestTags | None,
) -> tuple[dict[str, Any], str]:
    """A version sealed under the procurement's data key: the ``bid_version`` row's values
    (named as its columns) and the version's digest."""
    sealed = seal_bid(dek, identity, quote, now, attachments)
    envelope = Envelope(identity.firm_id, actor.id or 0, actor.address)
    digest = sealed.digest  # a property hashing the canonical bid: once, not per use
    values = {
        "bid_id": identity.bid_id,
        "version": identity.version,
        "nonce": sealed.nonce,
        "ciphertext": sealed.ciphertext,
        "attachments": list(sealed.attachments),
        "envelope": seal_envelope(dek, identity, envelope),
        "terms_version": confirmed_terms_version,
        "digest": digest,
        "submitted_at": now,
        "idempotency_tag": tags.idempotency if tags else None,
        "request_tag": tags.request if tags else None,
    }
    return values, digest
