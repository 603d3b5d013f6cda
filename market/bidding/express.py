"""The express lane of a sealed bid: one statement, when the process already knows the
procurement (and, to replace a bid, the bid).

A bid through :mod:`market.bidding.service` reads the procurement (share-locked) with its
data key and terms version, the bid, the firm's eligibility, writes the bid and its version,
each its own round trip in a unit of work, and then commits: seven round trips and most of
a bid's cost. What it reads hardly ever changes between two bids on the same procurement. So
the process keeps what the service last read (:func:`remember`), and a bid on a procurement
it knows is sealed in Python from that, then written by one statement that holds every
condition the service checks, against what is stored *now*:

- the procurement is published, its deadline after ``now``, its data key, terms version and
  last change the ones kept (so its terms, ceiling and floor are those the quote was checked
  against), under the same share lock as the service takes — the closing still waits for it;
- a submission: the firm has no live bid on it (the unique index); a replacement: the bid is
  the firm's (its bidder token), live, and at the version kept;
- the firm is eligible now, the avoidance list included (the registries' clause);
- then the bid's row or its next version, the version, its audit entry and its place in the
  sealing queue.

A submission first takes its bid id from the sequence (the id is sealed into the bid), on the
same connection: two round trips.

Either all of it holds and everything is written (the statement is its transaction), or
nothing is, and the caller runs the service as before, which then says what is wrong —
so a refusal reads the same whichever way the bid came, and the service stays the one
place the rules are told. Nothing kept is ever trusted: a stale entry costs one statement
that writes nothing.

What is kept is in the process's memory only: a procurement's data key unwrapped (the key
file that unwraps it is in the same memory already), its public terms, and per bid its
procurement, bidder token and version (docs/sealed-bids.md).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, exists, func, literal_column, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.types import Text

from market import audit
from market.accounts import session_vouches
from market.audit import Actor
from market.bidding import rules
from market.bidding.store import Bidding, Receipt
from market.bidding.versions import SEALED_ACTOR, sealed_version
from market.db import Database, DirectConnection, DirectPool
from market.models import (
    AuditEntry,
    AuditUnsealed,
    Bid,
    BidVersion,
    Procurement,
    ProcurementKey,
    ProcurementVersion,
)
from market.prepared import Prepared
from market.principal import Principal, Role
from market.procurement.draft import DraftTerms
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import Requirements, firm_eligible_clause, firm_eligible_params
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import BidIdentity, Quote, bidder_token
from market.sealed.keys import DataKey, KeyEncryptionKey, procurement_tag

PROCUREMENTS_KEPT = 1_000
K = TypeVar("K")
V = TypeVar("V")
BIDS_KEPT = 100_000


@dataclass(frozen=True, slots=True)
class _KnownProcurement:
    """A published procurement as the service last read it for a bid."""

    key_file: str  # the key file's public id the data key was unwrapped with
    reference: str
    tag: str  # the procurement's tag (market.sealed.keys.procurement_tag), as its bids carry it
    dek: DataKey
    wrapped: bytes
    terms_version: int
    updated_at: datetime
    draft: DraftTerms
    requirements: Requirements
    vocabulary: Vocabulary
    terms: ProcurementTerms


@dataclass(frozen=True, slots=True)
class _KnownBid:
    procurement_id: int
    firm_id: int
    bidder: str
    """The bid's bidder token, as stored: the firm's under the procurement's data key."""
    version: int


class _Kept(Generic[K, V]):
    """At most ``size`` entries; the oldest written goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self.entries.get(key)

    def put(self, key: K, value: V) -> None:
        self.entries.pop(key, None)
        self.entries[key] = value
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def forget(self, key: K) -> None:
        self.entries.pop(key, None)


_PROCUREMENTS: _Kept[int, _KnownProcurement] = _Kept(PROCUREMENTS_KEPT)
_BIDS: _Kept[int, _KnownBid] = _Kept(BIDS_KEPT)


def remember(
    bid_key: KeyEncryptionKey,
    found: Bidding,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    draft: DraftTerms,
    requirements: Requirements | None,
    bid_id: int,
    firm_id: int,
    bidder: str,
    version: int,
) -> None:
    """What the service read and wrote for a bid it just took (submitted or replaced) from
    ``firm_id``, whose bidder token it checked to be ``bidder``."""
    row = found.row
    if requirements is None or row.reference is None:
        return  # such a bid has no express lane: its terms no longer read
    _PROCUREMENTS.put(
        row.id,
        _KnownProcurement(
            bid_key.key_id,
            row.reference,
            procurement_tag(bid_key, row.id),
            found.dek,
            found.wrapped,
            found.terms_version,
            row.updated_at,
            draft,
            requirements,
            vocabulary,
            terms,
        ),
    )
    _BIDS.put(bid_id, _KnownBid(row.id, firm_id, bidder, version))


def forget(bid_id: int) -> None:
    """The bid changed in a way the express lane does not follow (withdrawn)."""
    _BIDS.forget(bid_id)


def _lane(database: Database, principal: Principal) -> tuple[DirectPool, int] | None:
    """The direct pool and the firm the principal bids for, if its bid may take the lane."""
    firm_id = principal.organisation_id
    if database.direct is None or Role.INTERMEDIARY not in principal.roles or firm_id is None:
        return None
    return database.direct, firm_id


def _usable(
    procurement_id: int,
    bid_key: KeyEncryptionKey,
    quote: Quote,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> _KnownProcurement | None:
    """What is kept of the procurement, if a bid on it may take the lane: kept under the same
    key file, vocabulary and rules, and the quote within its terms (a quote the service would
    refuse goes to the service, which says why)."""
    known = _PROCUREMENTS.get(procurement_id)
    if (
        known is None
        or known.key_file != bid_key.key_id
        or known.vocabulary is not vocabulary
        or known.terms is not terms
        or rules.quote_reason(known.draft, quote) is not None
    ):
        return None
    return known


async def submit(
    database: Database,
    actor: Actor,
    principal: Principal,
    bid_key: KeyEncryptionKey,
    procurement_id: int,
    quote: Quote,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    session: bytes | None = None,
) -> Receipt | None:
    """The receipt of the firm's new bid, written in one statement after its id is taken; None
    if this lane cannot take it (the procurement not known here, anything changed, or anything
    the service would refuse): then nothing was written but the id, and the caller runs
    :func:`market.bidding.service.submit`. ``session``: the digest of the caller's session
    token, when ``principal`` was read from it earlier than now (web.auth's recent sessions):
    the statement then also checks the session still vouches for the principal."""
    lane = _lane(database, principal)
    known = None if lane is None else _usable(procurement_id, bid_key, quote, vocabulary, terms)
    if lane is None or known is None:
        return None
    direct, firm_id = lane
    bid = _KnownBid(procurement_id, firm_id, bidder_token(known.dek, firm_id), 1)
    async with direct.connection() as connection:
        taken = await connection.row(_NEXT_BID_ID, {})
        assert taken is not None
        return await _write(
            connection,
            database,
            _submit,
            known,
            bid,
            int(taken[0]),
            "bid:submitted",
            actor,
            principal,
            session,
            quote,
            now,
            {"procurement_tag": known.tag},
        )


async def replace(
    database: Database,
    actor: Actor,
    principal: Principal,
    bid_key: KeyEncryptionKey,
    bid_id: int,
    quote: Quote,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    session: bytes | None = None,
) -> Receipt | None:
    """The receipt of the bid's next version, written in one statement; None if this lane
    cannot take it (not known here, anything changed, or anything the service would refuse):
    then nothing was written, and the caller runs :func:`market.bidding.service.replace`.
    ``session``: as for :func:`submit`."""
    lane = _lane(database, principal)
    kept = _BIDS.get(bid_id)
    if lane is None or kept is None or kept.firm_id != lane[1]:
        return None  # the service checked the bidder token for the firm kept
    known = _usable(kept.procurement_id, bid_key, quote, vocabulary, terms)
    if known is None:
        return None
    bid = dataclasses.replace(kept, version=kept.version + 1)
    async with lane[0].connection() as connection:
        return await _write(
            connection,
            database,
            _replace,
            known,
            bid,
            bid_id,
            "bid:replaced",
            actor,
            principal,
            session,
            quote,
            now,
            {"previous": kept.version},
        )


async def _write(
    connection: DirectConnection,
    database: Database,
    bid_write: Callable[[Any, Any], Any],
    known: _KnownProcurement,
    bid: _KnownBid,
    bid_id: int,
    action: str,
    actor: Actor,
    principal: Principal,
    session: bytes | None,
    quote: Quote,
    now: datetime,
    own: dict[str, Any],
) -> Receipt | None:
    """Seal ``bid``'s version and run the lane's statement (``bid_write`` and ``own``, its
    parameters of its own); the receipt once it committed, None if it wrote nothing."""
    identity = BidIdentity(bid_id, known.reference, bid.firm_id, bid.version)
    values, digest = sealed_version(known.dek, identity, actor, known.terms_version, quote, (), now, None)
    audited = {"version": bid.version, "digest": digest}
    params = {
        **values,
        **audit.entry_params(SEALED_ACTOR, action, "bid", bid_id, audited),
        **firm_eligible_params(bid.firm_id, now),
        **own,
        "procurement_id": bid.procurement_id,
        "bidder": bid.bidder,
        "wrapped": known.wrapped,
        "procurement_updated_at": known.updated_at,
        "now": now,
    }
    if session is not None:
        params |= {"token_hash": session, "user_id": principal.user_id, "organisation_id": bid.firm_id}
    statement = _statement(
        bid_write, known.vocabulary, known.requirements, checks_session=session is not None
    )
    written = await connection.row(statement, params)
    if written is None:
        return None
    _BIDS.put(bid_id, bid)
    audit.log_committed([(SEALED_ACTOR, action, "bid", str(bid_id))])
    database.audit_committed()
    return Receipt(
        bid_id=bid_id,
        version=bid.version,
        procurement_id=bid.procurement_id,
        reference=known.reference,
        submitted_at=now.astimezone(UTC),
        digest=digest,
        withdrawn_at=None,
        counts=known.terms_version >= int(written[0]),
        procurement_status=ProcurementStatus.PUBLISHED,
        cancel_reason="",
    )


# -- the statements --------------------------------------------------------------------------------
_P = cast("Table", Procurement.__table__).c
_K = cast("Table", ProcurementKey.__table__).c
_TV = cast("Table", ProcurementVersion.__table__).c
_BIDS_TABLE = cast("Table", Bid.__table__)
_B = _BIDS_TABLE.c
_VERSIONS = cast("Table", BidVersion.__table__)
_ENTRIES = cast("Table", AuditEntry.__table__)
_QUEUE = cast("Table", AuditUnsealed.__table__)
_VERSION_COLUMNS = (
    "bid_id",
    "version",
    "nonce",
    "ciphertext",
    "attachments",
    "envelope",
    "terms_version",
    "digest",
    "submitted_at",
    "idempotency_tag",
    "request_tag",
)
_ENTRY_COLUMNS = {  # audit_entry's column: the parameter of audit.entry_params
    "actor_id": "actor_id",
    "actor_label": "actor_label",
    "action": "action",
    "object_type": "object_type",
    "object_id": "object_id",
    "client_address": "address",
}
_RUNTIME = (
    *_VERSION_COLUMNS,
    *audit.ENTRY_PARAMETERS,
    "at",
    "day",
    "firm_id",
    "procurement_id",
    "wrapped",
    "procurement_updated_at",
    "bidder",
    "now",
)
_NEXT_BID_ID = Prepared(select(func.nextval(func.pg_get_serial_sequence("bid", "id"))), ())
_ONE: Any = literal_column("1")


def _still_open() -> Any:
    """The procurement, share-locked, if it still takes bids under the terms kept."""
    return (
        select(_P.bids_valid_from)
        .where(
            _P.id == bindparam("procurement_id"),
            _P.status == ProcurementStatus.PUBLISHED,
            _P.bid_deadline > bindparam("now", type_=_P.bid_deadline.type),
            _P.updated_at == bindparam("procurement_updated_at", type_=_P.updated_at.type),
            exists().where(
                _K.procurement_id == _P.id, _K.wrapped == bindparam("wrapped", type_=_K.wrapped.type)
            ),
            select(func.max(_TV.sequence)).where(_TV.procurement_id == _P.id).scalar_subquery()
            == bindparam("terms_version", type_=_TV.sequence.type),
        )
        .with_for_update(read=True)
        .cte("still_open")
    )


def _submit(still_open: Any, eligible: Any) -> Any:
    """The firm's new bid, unless it has a live one (the unique index: nothing, no error)."""
    columns = {
        "id": bindparam("bid_id", type_=_B.id.type),
        "procurement_tag": bindparam("procurement_tag", type_=_B.procurement_tag.type),
        "bidder": bindparam("bidder", type_=_B.bidder.type),
        "current_version": literal_column("1"),
        "confirmed_terms_version": bindparam("terms_version", type_=_B.confirmed_terms_version.type),
        "created_at": bindparam("now", type_=_B.created_at.type),
        "updated_at": bindparam("now", type_=_B.updated_at.type),
    }
    return (
        insert(_BIDS_TABLE)
        .from_select(
            list(columns),
            select(*columns.values()).where(exists(select(_ONE).select_from(still_open)), eligible),
        )
        .on_conflict_do_nothing(
            index_elements=[_B.procurement_tag, _B.bidder], index_where=_B.withdrawn_at.is_(None)
        )
        .returning(_B.current_version)
    )


def _replace(still_open: Any, eligible: Any) -> Any:
    """The bid's next version number, if it is the firm's, live and at the version kept."""
    return (
        update(_BIDS_TABLE)
        .where(
            _B.id == bindparam("bid_id"),
            _B.bidder == bindparam("bidder"),
            _B.withdrawn_at.is_(None),
            _B.current_version == bindparam("previous"),
            exists(select(_ONE).select_from(still_open)),
            eligible,
        )
        .values(
            current_version=_B.current_version + 1,
            confirmed_terms_version=bindparam("terms_version"),
            updated_at=bindparam("now"),
        )
        .returning(_B.current_version)
    )


def _build(bid_write: Callable[[Any, Any], Any], eligible: Any) -> Any:
    still_open = _still_open()
    bid = bid_write(still_open, eligible).cte("bid_written")
    taken = exists(select(_ONE).select_from(bid))
    version = (
        insert(_VERSIONS)
        .from_select(
            list(_VERSION_COLUMNS),
            select(*(bindparam(name, type_=_VERSIONS.c[name].type) for name in _VERSION_COLUMNS)).where(
                taken
            ),
        )
        .cte("version")
    )
    entry = (
        insert(_ENTRIES)
        .from_select(
            [*_ENTRY_COLUMNS, "payload"],
            select(
                *(bindparam(name, type_=_ENTRIES.c[column].type) for column, name in _ENTRY_COLUMNS.items()),
                sql_cast(bindparam("payload", type_=Text), JSONB),
            ).where(taken),
        )
        .returning(_ENTRIES.c.id)
        .cte("entry")
    )
    queued = (
        insert(_QUEUE)
        .from_select(["entry_id"], select(entry.c.id))
        .returning(_QUEUE.c.entry_id)
        .cte("queued")
    )
    return (
        select(still_open.c.bids_valid_from)
        .select_from(still_open.join(queued, literal_column("true")))
        .add_cte(version)
    )


_KEPT: dict[tuple[Callable[[Any, Any], Any], Requirements, bool], tuple[Any, Prepared]] = {}
_SESSION_VOUCHES = session_vouches(Role.INTERMEDIARY)


def _statement(
    bid_write: Callable[[Any, Any], Any],
    vocabulary: Vocabulary,
    requirements: Requirements,
    *,
    checks_session: bool,
) -> Prepared:
    """The lane's statement for a procurement's requirements, built once per requirements
    (the eligibility clause is checked by identity, as the service's own statements are);
    ``checks_session``: with :func:`market.accounts.session_vouches` too."""
    clause = firm_eligible_clause(vocabulary, requirements)
    key = (bid_write, requirements, checks_session)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] is clause:
        return kept[1]
    if len(_KEPT) >= 512:
        _KEPT.clear()
    own = "procurement_tag" if bid_write is _submit else "previous"
    runtime: tuple[str, ...] = (*_RUNTIME, own)
    condition = clause
    if checks_session:
        condition = and_(clause, _SESSION_VOUCHES)
        runtime = (*runtime, "token_hash", "user_id", "organisation_id")
    statement = Prepared(_build(bid_write, condition), runtime)
    _KEPT[key] = (clause, statement)
    return statement
