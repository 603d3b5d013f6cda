"""Reading sealed bids back: from a bid row to its procurement, the procurement's data key,
its current terms version, and a bid's receipt.

A bid row names its procurement only by an HMAC under the key file
(:func:`market.sealed.keys.procurement_tag`), so going from a bid id to its procurement
means finding the procurement whose tag it is. The service computes the tags of the
procurements that have a data key (only those take bids) and keeps them: a tag is a pure
function of the key file and the procurement id, so what is kept never goes stale, and a
new procurement costs one query the first time one of its bids is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from market import policy
from market.bidding import rules
from market.bidding.rules import Reason
from market.db import UnitOfWork
from market.errors import NotFound
from market.models import Bid, BidVersion, Organisation, Procurement, ProcurementKey, ProcurementVersion
from market.principal import Principal
from market.procurement.draft import DraftTerms
from market.procurement.eligibility_count import requirements_of
from market.procurement.service import stored_terms
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import Requirements, eligibility_query, explain, is_eligible
from market.registry.records import InvalidRecord
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import DataKey, KeyEncryptionKey, WrappedKey, procurement_tag


@dataclass(frozen=True, slots=True)
class Receipt:
    """回执: what the bidding firm keeps to check later that its bid is the one that counted."""

    bid_id: int
    version: int
    procurement_id: int
    reference: str
    submitted_at: datetime
    digest: str
    """SHA-256 of the canonical sealed bid (docs/sealed-bids.md)."""
    withdrawn_at: datetime | None
    counts: bool
    """False once withdrawn, or while it waits to be re-confirmed after an amendment."""
    procurement_status: ProcurementStatus
    cancel_reason: str


@dataclass(frozen=True, slots=True)
class Bidding:
    """A published procurement as a bid needs it, read in one statement under the share lock:
    the row, its data key unwrapped, and its current terms version."""

    row: Procurement
    dek: DataKey
    terms_version: int
    wrapped: bytes
    """The data key as stored (wrapped): :mod:`market.bidding.express` checks it is unchanged."""


class _TagIndex:
    def __init__(self) -> None:
        self.procurements: dict[str, int] = {}
        self.seen: set[int] = set()


_INDEXES: dict[str, _TagIndex] = {}  # per key file (its public id)


async def procurement_of(uow: UnitOfWork, bid_key: KeyEncryptionKey, tag: str) -> int | None:
    """The id of the procurement whose tag is ``tag``, if any has a data key."""
    index = _INDEXES.setdefault(bid_key.key_id, _TagIndex())
    found = index.procurements.get(tag)
    if found is not None:
        return found
    for procurement_id in await uow.session.scalars(select(ProcurementKey.procurement_id)):
        if procurement_id not in index.seen:
            index.seen.add(procurement_id)
            index.procurements[procurement_tag(bid_key, procurement_id)] = procurement_id
    return index.procurements.get(tag)


async def data_key(uow: UnitOfWork, bid_key: KeyEncryptionKey, row: Procurement) -> DataKey:
    """The procurement's data key, unwrapped (raises BidKeyMismatch or SealBroken, which say
    what the operator must do, rather than a bare decryption failure)."""
    stored = await uow.session.get(ProcurementKey, row.id)
    if stored is None or row.reference is None:
        raise NotFound(f"procurement {row.id} takes no bids", procurement_id=row.id)
    return bid_key.unwrap(WrappedKey(stored.key_id, stored.wrapped), row.reference)


_LATEST_TERMS_VERSION = (
    select(func.max(ProcurementVersion.sequence))
    .where(ProcurementVersion.procurement_id == Procurement.id)
    .correlate(Procurement)
    .scalar_subquery()
)
# built once, like the bid service's statements: a bid's hot path runs it every time
_BIDDING = (
    select(Procurement, ProcurementKey.key_id, ProcurementKey.wrapped, _LATEST_TERMS_VERSION)
    .outerjoin(ProcurementKey, ProcurementKey.procurement_id == Procurement.id)
    .where(Procurement.id == bindparam("procurement_id"))
    .with_for_update(read=True, of=Procurement)
)


async def bidding(
    uow: UnitOfWork,
    bid_key: KeyEncryptionKey,
    principal: Principal,
    procurement_id: int,
    *,
    takes_bids: Callable[[Procurement], None] = lambda row: None,
) -> Bidding:
    """:func:`shared_procurement`, :func:`data_key` and :func:`terms_version` in one round
    trip (a bid's hot path). ``takes_bids(row)`` runs before the key is looked at: it may
    raise a better answer than "takes no bids" for a procurement without a data key."""
    found = (await uow.session.execute(_BIDDING, {"procurement_id": procurement_id})).one_or_none()
    if found is None or not policy.may_see_procurement(
        principal, found[0].owner_organisation_id, found[0].status.public
    ):
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    row, key_id, wrapped, latest = found
    takes_bids(row)
    if key_id is None or row.reference is None:
        raise NotFound(f"procurement {row.id} takes no bids", procurement_id=row.id)
    dek = bid_key.unwrap(WrappedKey(key_id, wrapped), row.reference)
    return Bidding(row, dek, int(latest or 1), wrapped)


async def terms_version(uow: UnitOfWork, procurement_id: int) -> int:
    """The procurement's current terms version: its latest published version's number."""
    last = await uow.session.scalar(
        select(func.max(ProcurementVersion.sequence)).where(
            ProcurementVersion.procurement_id == procurement_id
        )
    )
    return int(last or 1)


async def version_of(uow: UnitOfWork, bid: Bid, version: int | None = None) -> BidVersion:
    found = await uow.session.get(BidVersion, (bid.id, version or bid.current_version))
    if found is None:  # the schema keeps every version; a missing one is a damaged database
        raise NotFound(f"bid {bid.id} has no version {version or bid.current_version}", bid_id=bid.id)
    return found


def counts(bid: Bid, row: Procurement) -> bool:
    return bid.withdrawn_at is None and bid.confirmed_terms_version >= row.bids_valid_from


def receipt_of(row: Procurement, bid: Bid, version: BidVersion) -> Receipt:
    return receipt_from(
        row,
        bid_id=bid.id,
        withdrawn_at=bid.withdrawn_at,
        confirmed_terms_version=bid.confirmed_terms_version,
        version=version.version,
        submitted_at=version.submitted_at,
        digest=version.digest,
    )


def receipt_from(
    row: Procurement,
    *,
    bid_id: int,
    withdrawn_at: datetime | None,
    confirmed_terms_version: int,
    version: int,
    submitted_at: datetime,
    digest: str,
) -> Receipt:
    """The receipt of a version just written (no ORM objects needed for it)."""
    assert row.reference is not None  # only published procurements have bids
    return Receipt(
        bid_id=bid_id,
        version=version,
        procurement_id=row.id,
        reference=row.reference,
        submitted_at=submitted_at.astimezone(UTC),
        digest=digest,
        withdrawn_at=withdrawn_at.astimezone(UTC) if withdrawn_at else None,
        counts=withdrawn_at is None and confirmed_terms_version >= row.bids_valid_from,
        procurement_status=row.status,
        cancel_reason=row.cancel_reason,
    )


async def firm_reasons(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    firm_id: int,
    now: datetime,
) -> list[Reason]:
    """Avoidance first (its reason is the owner's), then the registries' eligibility at
    ``now`` against what the procurement asks: its requirements object together with its
    service type or field of work (:func:`requirements_of`, the same the publication counted)."""
    uscc = await uow.session.scalar(select(Organisation.uscc).where(Organisation.id == firm_id))
    avoided = rules.avoidance_reason(draft, uscc)
    if avoided is not None:
        return [avoided]
    try:
        requirements = requirements_of(vocabulary, terms, draft)
    except InvalidRecord:  # stored terms were checked at publication; a changed vocabulary
        unreadable = "the procurement's requirements no longer read; ask the owner"
        return [Reason("requirements-unreadable", unreadable)]
    try:
        explanation = await explain(uow, vocabulary, requirements, firm_id, now)
    except NotFound:
        return [Reason("not-a-firm", "your organisation is not a firm in the registries")]
    return [Reason(r.code, r.message) for r in explanation.reasons]


class _ReadTerms:
    """A procurement's stored terms as last read, with what a bid needs of them."""

    __slots__ = ("draft", "requirements", "stored", "terms", "vocabulary")

    def __init__(
        self, stored: dict[str, Any], draft: DraftTerms, vocabulary: Vocabulary,
        terms: ProcurementTerms, requirements: Requirements | None,
    ) -> None:
        self.stored, self.draft = stored, draft
        self.vocabulary, self.terms, self.requirements = vocabulary, terms, requirements


_READ_TERMS: dict[int, _ReadTerms] = {}
_READ_TERMS_KEPT = 256


def bid_terms(
    vocabulary: Vocabulary, terms: ProcurementTerms, row: Procurement
) -> tuple[DraftTerms, Requirements | None]:
    """The procurement's stored terms read (:func:`stored_terms`) and what they ask of a bidder
    (:func:`readable_requirements`), as every bid needs them. Reading them is most of a bid's
    own Python, and they change only at an amendment, so the last reading per procurement is
    kept and used again while the stored terms are equal to those it was read from (compared
    whole, so a database reset in tests or an amendment reads them again) under the same
    vocabulary and rules. A published procurement's terms are public: nothing sealed is kept.
    The stored dict is never changed in place (:func:`_store_terms` assigns a new one), so
    keeping a reference to it is keeping what was read."""
    kept = _READ_TERMS.get(row.id)
    if (
        kept is not None
        and kept.vocabulary is vocabulary
        and kept.terms is terms
        and kept.stored == row.terms
    ):
        return kept.draft, kept.requirements
    draft = stored_terms(row)
    requirements = readable_requirements(vocabulary, terms, draft)
    if len(_READ_TERMS) >= _READ_TERMS_KEPT:
        _READ_TERMS.pop(next(iter(_READ_TERMS)))  # the oldest reading goes
    _READ_TERMS.pop(row.id, None)
    _READ_TERMS[row.id] = _ReadTerms(row.terms, draft, vocabulary, terms, requirements)
    return draft, requirements


def readable_requirements(
    vocabulary: Vocabulary, terms: ProcurementTerms, draft: DraftTerms
) -> Requirements | None:
    """What the procurement asks of a bidder (:func:`requirements_of`), or None if its stored
    requirements no longer read (:func:`firm_reasons` names the problem)."""
    try:
        return requirements_of(vocabulary, terms, draft)
    except InvalidRecord:
        return None


async def refusal_reasons(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    firm_id: int,
    now: datetime,
) -> list[Reason]:
    """What keeps the firm from bidding now (empty: nothing): :func:`firm_reasons`, but an
    eligible firm — nearly every bidder — costs one EXISTS; the reasons are listed only for
    a firm the registries' query refuses. The avoidance list is part of the requirements
    (:func:`requirements_of`), so the query refuses an avoided firm too."""
    requirements = readable_requirements(vocabulary, terms, draft)
    if requirements is not None and await is_eligible(uow, vocabulary, requirements, firm_id, now):
        return []
    # Empty only if the firm became eligible between the two reads (a licence approved just
    # then): the later answer stands, as either is the firm's standing at submission.
    return await firm_reasons(uow, vocabulary, terms, draft, firm_id, now)


async def eligible_among(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    firm_ids: set[int],
    now: datetime,
) -> set[int]:
    """Which of ``firm_ids`` meet what the procurement asks at ``now``, in one query (the one
    :func:`market.registry.eligibility.eligible_firms` runs): the opening asks
    :func:`firm_reasons` only about the others, instead of explaining every bid's firm."""
    if not firm_ids:
        return set()
    try:
        requirements = requirements_of(vocabulary, terms, draft)
    except InvalidRecord:
        return set()  # firm_reasons says why, per bid
    found = eligibility_query(vocabulary, requirements, now).subquery()
    return set(await uow.session.scalars(select(found.c.id).where(found.c.id.in_(firm_ids))))


async def shared_procurement(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int
) -> Procurement:
    """The procurement under a share lock; a draft the caller cannot see does not exist."""
    row = await uow.session.scalar(
        select(Procurement).where(Procurement.id == procurement_id).with_for_update(read=True)
    )
    if row is None or not policy.may_see_procurement(principal, row.owner_organisation_id, row.status.public):
        raise NotFound(f"there is no procurement {procurement_id}", procurement_id=procurement_id)
    return row
