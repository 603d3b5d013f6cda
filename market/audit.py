"""Writing, sealing and verifying the audit log (see :mod:`market.models.audit`).

Why a separate sealer: a hash chain needs one writer at the head. If every business
transaction appended to the chain itself it would hold the head from its insert until its
commit, and bid intake would run one transaction at a time. Instead each transaction
writes its entry (and a to-do row) and commits in parallel with the others; the sealer,
woken after commits and every few seconds by the scheduler, takes an advisory lock and
chains whatever has committed, in entry order, in one batch. An entry is unsealed only
for that short interval; ``verify`` reports entries that stay unsealed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import TextClause, event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from market.db import Database, UnitOfWork

GENESIS_HASH = bytes(32)
SEALER_LOCK_KEY = 0x6D61726B6574_01  # "market" + 1: pg_advisory_xact_lock key of the sealer

log = logging.getLogger("market.audit")
_UNLOGGED = "market.audit.unlogged"  # Session.info key: entries written, not yet committed


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a signed-in user, or the system itself (CLI, scheduler)."""

    id: int | None
    label: str
    address: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(None, label)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        raise TypeError("audit payloads take Decimal or str for numbers with fractions, not float")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def _log_when_committed(uow: UnitOfWork, actor: Actor, entries: Iterable[tuple[str, str, object]]) -> None:
    """Keep ``(action, object_type, object_id)`` for one log line each once the transaction
    commits: an entry rolled back with its transaction was never a business event."""
    if not log.isEnabledFor(logging.INFO):
        return
    unlogged = uow.session.sync_session.info.setdefault(_UNLOGGED, [])
    unlogged.extend((actor, action, kind, str(object_id)) for action, kind, object_id in entries)


@event.listens_for(Session, "after_commit")
def _log_committed(session: Session) -> None:
    log_committed(session.info.pop(_UNLOGGED, ()))


def log_committed(entries: Iterable[tuple[Actor, str, str, object]]) -> None:
    """One log line per committed entry ``(actor, action, object_type, object_id)``."""
    # The payload stays out of the log: the audit log holds it, and the log travels to
    # places (collectors, tickets) where personal data should not.
    for actor, action, object_type, object_id in entries:
        log.info(
            "%s %s %s",
            action,
            object_type,
            object_id,
            extra={
                "event": "audit",
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "actor_id": actor.id,
                "actor": actor.label,
                "client": actor.address or None,
            },
        )


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # a savepoint's rollback keeps the outer transaction's entries
        session.info.pop(_UNLOGGED, None)


ENTRY = (
    "entry AS ("
    " INSERT INTO audit_entry (actor_id, actor_label, action, object_type, object_id,"
    "  payload, client_address)"
    " VALUES (:actor_id, :actor_label, :action, :object_type, :object_id,"
    "  CAST(:payload AS jsonb), :address) RETURNING id)"
)

ENTRY_PARAMETERS = ("actor_id", "actor_label", "action", "object_type", "object_id", "payload", "address")
"""What :func:`entry_values` gives."""


def with_entry(*ctes: str) -> TextClause:
    """One statement writing the caller's rows (its ``ctes``, ``name AS (INSERT …)``) together
    with an audit entry and its place in the sealing queue: a hot path's write and its entry
    in one round trip. Bind :func:`entry_values` besides the caller's own parameters; the
    statement gives the entry's id. Build it once."""
    return text(
        "WITH "  # noqa: S608 (the callers' fixed text; values are bind parameters)
        + ", ".join([*ctes, ENTRY])
        + " INSERT INTO audit_unsealed (entry_id) SELECT id FROM entry RETURNING entry_id"
    )


_RECORD = with_entry()
"""One entry and its place in the sealing queue, in one statement (built once); gives the
entry's id."""


def entry_values(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    payload: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters of :data:`ENTRY` for an entry the caller's statement writes
    (:func:`with_entry`); once it ran, :func:`entry_written`."""
    if uow.audit_cause is not None:
        payload = {**(payload or {}), "cause": uow.audit_cause}
    return entry_params(actor, action, object_type, object_id, payload)


def entry_params(
    actor: Actor, action: str, object_type: str, object_id: object, payload: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """:func:`entry_values` for a statement that is a transaction of its own (no unit of work,
    so no cause of a lifecycle step); once it ran, :func:`log_committed` and the database's
    ``audit_committed``."""
    if action.count(":") != 1:
        raise ValueError(f"audit action {action!r} must look like 'subject:action'")
    return {
        "actor_id": actor.id,
        "actor_label": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "payload": json.dumps(_jsonable(dict(payload or {})), ensure_ascii=False),
        "address": actor.address,
    }


def entry_written(uow: UnitOfWork, actor: Actor, action: str, object_type: str, object_id: object) -> None:
    """After a statement wrote an entry: its commit wakes the sealer and logs the entry."""
    uow.wrote_audit = True
    _log_when_committed(uow, actor, [(action, object_type, object_id)])


async def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """Append an entry in the caller's transaction (its commit wakes the sealer) and return
    its id (a record may cite it). ``action`` is ``subject:verb``."""
    values = entry_values(uow, actor, action, object_type, object_id, payload)
    entry_id = await uow.session.scalar(_RECORD, values)
    entry_written(uow, actor, action, object_type, object_id)
    return int(entry_id)


async def record_many(
    uow: UnitOfWork,
    actor: Actor,
    entries: Sequence[tuple[str, str, object, Mapping[str, Any] | None]],
) -> None:
    """:func:`record` for many ``(action, object_type, object_id, payload)`` at once, in
    order, in one statement: bulk imports write thousands of entries, and one round trip
    each would cost more than the import itself."""
    if not entries:
        return
    for action, *_ in entries:
        if action.count(":") != 1:
            raise ValueError(f"audit action {action!r} must look like 'subject:action'")
    uow.wrote_audit = True
    await uow.session.execute(
        text(
            "WITH entry AS ("
            " INSERT INTO audit_entry (actor_id, actor_label, action, object_type, object_id,"
            "  payload, client_address)"
            " SELECT CAST(:actor_id AS bigint), :actor_label, e.action, e.object_type, e.object_id,"
            "  CAST(e.payload AS jsonb), :address"
            " FROM unnest(CAST(:actions AS text[]), CAST(:object_types AS text[]),"
            "  CAST(:object_ids AS text[]), CAST(:payloads AS text[]))"
            "  WITH ORDINALITY AS e(action, object_type, object_id, payload, n)"
            " ORDER BY e.n RETURNING id)"
            " INSERT INTO audit_unsealed (entry_id) SELECT id FROM entry"
        ),
        {
            "actor_id": actor.id,
            "actor_label": actor.label,
            "address": actor.address,
            "actions": [e[0] for e in entries],
            "object_types": [e[1] for e in entries],
            "object_ids": [str(e[2]) for e in entries],
            "payloads": [json.dumps(_jsonable(dict(e[3] or {})), ensure_ascii=False) for e in entries],
        },
    )
    _log_when_committed(uow, actor, [(e[0], e[1], e[2]) for e in entries])


def canonical_entry(seq: int, row: Mapping[Any, Any], prev_hash: bytes) -> bytes:
    """The bytes that are hashed: canonical JSON (sorted keys, no spaces, UTF-8) of the
    entry's fields, its place in the chain and the previous hash in hex."""
    occurred: datetime = row["occurred_at"]
    document = {
        "seq": seq,
        "entry_id": row["id"],
        "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": row["actor_id"],
        "actor_label": row["actor_label"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "payload": row["payload"],
        "client_address": row["client_address"],
        "prev_hash": prev_hash.hex(),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(seq: int, row: Mapping[Any, Any], prev_hash: bytes) -> bytes:
    return hashlib.sha256(canonical_entry(seq, row, prev_hash)).digest()


_ENTRY_COLUMNS = (
    "e.id, e.occurred_at, e.actor_id, e.actor_label, e.action, e.object_type, e.object_id,"
    " e.payload, e.client_address"
)


def decoded_entry(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A stored entry's columns as they are hashed (the payload parsed when a driver hands
    it over as text)."""
    return _decode(row)


def _decode(row: Mapping[Any, Any]) -> dict[str, Any]:
    decoded = dict(row)
    if isinstance(decoded["payload"], str):
        decoded["payload"] = json.loads(decoded["payload"])
    return decoded


async def sealed_head(uow: UnitOfWork) -> tuple[int, str]:
    """The chain's head as sealed now: ``(seq, hash hex)``, ``(0, genesis)`` when empty.
    Read under the sealer's lock, so it is a head the sealer has finished writing."""
    await uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEALER_LOCK_KEY})
    latest = text("SELECT seq, hash FROM audit_seal ORDER BY seq DESC LIMIT 1")
    head = (await uow.session.execute(latest)).first()
    return (int(head[0]), bytes(head[1]).hex()) if head else (0, GENESIS_HASH.hex())


_HEAD = "SELECT seq, hash FROM audit_seal ORDER BY seq DESC LIMIT 1"
# The queued entries are looked up by id in the entries' primary key. The queue is all churn
# (every entry goes in and out), so between ANALYZEs the planner takes it for long: as a join
# of the queue with audit_entry it read the whole log into a hash table at every pass, and a
# pass cost more the longer the log grew (during bench/bids.py, 7 % of the bids a second).
_UNSEALED = (
    f"SELECT {_ENTRY_COLUMNS} FROM audit_entry e"  # noqa: S608 (fixed column list)
    " WHERE e.id = ANY(ARRAY(SELECT entry_id FROM audit_unsealed ORDER BY entry_id LIMIT $1))"
    " ORDER BY e.id"
)
_SEALS = (
    "INSERT INTO audit_seal (seq, entry_id, prev_hash, hash)"
    " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])"
)
_SEALED = "DELETE FROM audit_unsealed WHERE entry_id = ANY($1::bigint[])"


def chained(rows: Sequence[Mapping[Any, Any]], seq: int, prev: bytes) -> list[dict[str, Any]]:
    """The seals of ``rows`` (entries in id order) after the head ``(seq, prev)``."""
    seals = []
    for row in rows:
        seq += 1
        digest = entry_hash(seq, _decode(row), prev)
        seals.append({"seq": seq, "entry_id": row["id"], "prev_hash": prev, "hash": digest})
        prev = digest
    return seals


async def seal_pending(database: Database, *, batch: int = 5000) -> int:
    """Chain every committed, unsealed entry. Returns how many were sealed.

    After the lock, on the asyncpg connection of the transaction (as market.prepared does):
    under load the service runs a pass every few dozen bids, and through the ORM session
    each of its statements cost the service more than PostgreSQL spent on it; the seals go
    in one INSERT from arrays (they went in one execution each)."""
    total = 0
    while True:
        async with database.unit_of_work() as uow:
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEALER_LOCK_KEY})
            driver = await uow.driver()
            if driver is None:  # pragma: no cover - the lock's statement opened the transaction
                raise RuntimeError("the sealer's transaction is not open")
            connection = driver[0]
            head = await connection.fetchrow(_HEAD)
            seq, prev = (head[0], bytes(head[1])) if head else (0, GENESIS_HASH)
            rows = await connection.fetch(_UNSEALED, batch)
            if not rows:
                return total
            seals = chained(rows, seq, prev)
            columns = ("seq", "entry_id", "prev_hash", "hash")
            await connection.execute(_SEALS, *([seal[c] for seal in seals] for c in columns))
            await connection.execute(_SEALED, [row["id"] for row in rows])
            await _checkpoint_selections(uow.session, rows, seals)
            await uow.commit()
            total += len(rows)
            if len(rows) < batch:
                return total


#: Entries after whose seal a checkpoint is published (issue 14: "at every selection").
CHECKPOINTED_ACTIONS = frozenset({"procurement:selected", "procurement:failed"})


async def _checkpoint_selections(
    session: AsyncSession, rows: Sequence[Mapping[Any, Any]], seals: Sequence[Mapping[str, Any]]
) -> None:
    """Publish the chain's head as it stood right after each selection (or failure) this batch
    sealed, in the sealing transaction: the checkpoints and the seals they name exist together,
    and each selection has its own, printed on its result notice."""
    chosen = [i for i, row in enumerate(rows) if row["action"] in CHECKPOINTED_ACTIONS]
    if not chosen:
        return
    await session.execute(
        text(
            "INSERT INTO audit_checkpoint (seq, hash, published_at, reason, object_type, object_id)"
            " VALUES (:seq, :hash, now(), 'selection', :object_type, :object_id)"
        ),
        [
            {
                "seq": seals[i]["seq"],
                "hash": bytes(seals[i]["hash"]).hex(),
                "object_type": rows[i]["object_type"],
                "object_id": rows[i]["object_id"],
            }
            for i in chosen
        ],
    )


@dataclass(frozen=True, slots=True)
class SealingLag:
    """How far the sealer is behind: entries committed but not chained yet, and the age
    of the oldest of them in seconds (0 when none waits)."""

    unsealed: int
    oldest_seconds: float


async def sealing_lag(database: Database) -> SealingLag:
    """:class:`SealingLag` now, measured on the database's clock (the one that stamped the
    entries)."""
    async with database.sessions() as session:
        row = (
            await session.execute(
                text(  # the entries by id, as the sealer looks them up (see _UNSEALED)
                    "SELECT (SELECT count(*) FROM audit_unsealed) AS unsealed,"
                    " coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0) AS oldest"
                    " FROM audit_entry e WHERE e.id = ANY(ARRAY(SELECT entry_id FROM audit_unsealed))"
                )
            )
        ).one()
    return SealingLag(int(row.unsealed), max(0.0, float(row.oldest)))


@dataclass(slots=True)
class VerifyReport:
    """What ``market audit verify`` found."""

    checked: int = 0
    head_hash: str = GENESIS_HASH.hex()
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


_CHAIN_BATCH = 5000


async def _chain(session: AsyncSession) -> AsyncIterator[Mapping[Any, Any]]:
    """Every seal with its entry, in order, read in batches by ``seq``: no server-side cursor
    stays open on the pooled connection when a verification stops early (a portal left open
    keeps the log's tables "in use" for that connection's next user)."""
    after = 0
    while True:
        rows = (
            (
                await session.execute(
                    text(
                        "SELECT s.seq, s.entry_id AS sealed_entry, s.prev_hash, s.hash, "  # noqa: S608 (fixed column list and bound parameters)
                        f"{_ENTRY_COLUMNS} FROM audit_seal s LEFT JOIN audit_entry e ON e.id = s.entry_id"
                        " WHERE s.seq > :after ORDER BY s.seq LIMIT :n"
                    ),
                    {"after": after, "n": _CHAIN_BATCH},
                )
            )
            .mappings()
            .all()
        )
        for row in rows:
            yield row
        if len(rows) < _CHAIN_BATCH:
            return
        after = rows[-1]["seq"]


async def verify_chain(
    database: Database, *, stop_at_first: bool = True, checkpoints: Mapping[int, str] | None = None
) -> VerifyReport:
    """Re-compute every seal from the stored entries, in order, and compare.

    Catches an edited entry (its hash no longer matches), an edited or removed seal (the
    next ``prev_hash`` or the sequence breaks) and a removed entry (a seal points at
    nothing). Seals sealed before an edit can't hide it, because the chain is re-computed
    from the entries, not read from the seals.

    ``checkpoints`` (seq → hash hex, published earlier) must each be in the chain with that
    hash: this catches what the chain alone cannot, its newest entries removed together with
    their seals (or the tail re-sealed after a change).
    """
    wanted = dict(checkpoints or {})
    report = VerifyReport()
    async with database.sessions() as session, session.begin():
        expected_prev = GENESIS_HASH
        expected_seq = 1
        async for row in _chain(session):
            seq = row["seq"]
            problem = None
            if seq != expected_seq:
                problem = f"seal {expected_seq} is missing (next seal found is {seq})"
            elif row["id"] is None:
                problem = f"entry {row['sealed_entry']} (seal {seq}) has been deleted"
            elif bytes(row["prev_hash"]) != expected_prev:
                problem = f"seal {seq} (entry {row['id']}) does not link to seal {seq - 1}"
            else:
                digest = entry_hash(seq, _decode(row), expected_prev)
                if digest != bytes(row["hash"]):
                    problem = (
                        f"entry {row['id']} (seal {seq}, action {row['action']}) has been altered: "
                        "its hash does not match"
                    )
            if problem is None and seq in wanted:
                published = wanted.pop(seq)
                if bytes(row["hash"]).hex() != published:
                    problem = (
                        f"checkpoint {seq}:{published} does not match the chain, whose seal {seq} "
                        f"is {bytes(row['hash']).hex()}: the chain was rewritten since it was published"
                    )
            if problem:
                report.problems.append(problem)
                if stop_at_first:
                    return report
            report.checked += 1
            expected_prev = bytes(row["hash"])
            expected_seq = seq + 1
        report.head_hash = expected_prev.hex()
        for seq, published in sorted(wanted.items()):
            report.problems.append(
                f"checkpoint {seq}:{published} is past the chain's head (seal {expected_seq - 1}): "
                "entries published before have been removed"
            )
            if stop_at_first:
                return report
        counts = (
            await session.execute(
                text(
                    # one statement, one snapshot: the sealer may have moved on since the
                    # chain was streamed, but these three counts agree with each other
                    "SELECT (SELECT count(*) FROM audit_entry) AS entries,"
                    " (SELECT count(*) FROM audit_unsealed) AS unsealed,"
                    " (SELECT count(*) FROM audit_seal) AS sealed"
                )
            )
        ).one()
        report.unsealed = counts.unsealed
        orphans = counts.entries - counts.sealed - counts.unsealed
        if orphans:
            report.problems.append(f"{orphans} entries are neither sealed nor waiting to be sealed")
    return report


async def list_entries(
    database: Database,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first, with their seal (``seq``/``hash`` are None while waiting to be sealed)."""
    clauses = ["TRUE"]
    params: dict[str, Any] = {"limit": limit}
    for name, value in (("action", action), ("object_type", object_type), ("object_id", object_id)):
        if value is not None:
            clauses.append(f"e.{name} = :{name}")
            params[name] = value
    if before_id is not None:
        clauses.append("e.id < :before_id")
        params["before_id"] = before_id
    async with database.sessions() as session:
        rows = (
            (
                await session.execute(
                    text(
                        f"SELECT {_ENTRY_COLUMNS}, s.seq, s.hash, s.prev_hash FROM audit_entry e"  # noqa: S608 (fixed column list and bound parameters)
                        " LEFT JOIN audit_seal s ON s.entry_id = e.id"
                        f" WHERE {' AND '.join(clauses)} ORDER BY e.id DESC LIMIT :limit"
                    ),
                    params,
                )
            )
            .mappings()
            .all()
        )
    out = []
    for row in rows:
        item = _decode(row)
        item["hash"] = bytes(row["hash"]).hex() if row["hash"] is not None else None
        item["prev_hash"] = bytes(row["prev_hash"]).hex() if row["prev_hash"] is not None else None
        out.append(item)
    return out
