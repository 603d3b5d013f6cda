"""Every change of a procurement, bid, firm or document, read from the audit log (issue 14):
who, when, what (the entry's payload is the change as it was recorded), each entry checked
against its seal — its hash re-computed from the stored entry and the previous seal, and the
previous seal's hash compared with the link — so that the history says whether it is intact
and names the first broken entry. A whole-chain check is ``market audit verify``; this one
re-computes only the object's own entries, which is what makes it fast (``bench/supervision.py``).

A bid's history exists for supervisors only after its procurement's opening: before, it
would tell who bid (the attempt is refused and audited like any early read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select, text

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound, PermissionDenied
from market.models import BidOpening

ObjectType = Literal["procurement", "bid", "firm", "document"]
OBJECT_TYPES: tuple[ObjectType, ...] = get_args(ObjectType)
MAX_ENTRIES = 2000


@dataclass(frozen=True, slots=True)
class Change:
    entry_id: int
    seq: int | None  # None: committed, not sealed yet
    occurred_at: datetime
    actor_label: str
    action: str
    payload: dict[str, Any]
    intact: bool | None  # None while unsealed


@dataclass(frozen=True, slots=True)
class History:
    object_type: str
    object_id: str
    changes: list[Change]
    first_broken: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken is None


_ENTRIES = text(
    """
    SELECT e.id, e.occurred_at, e.actor_id, e.actor_label, e.action, e.object_type, e.object_id,
           e.payload, e.client_address, s.seq, s.prev_hash, s.hash, p.hash AS previous_hash
    FROM audit_entry e
    LEFT JOIN audit_seal s ON s.entry_id = e.id
    LEFT JOIN audit_seal p ON p.seq = s.seq - 1
    WHERE e.object_type = :object_type AND e.object_id = :object_id
    ORDER BY e.id
    LIMIT :limit
    """
)


def _check(row: Any) -> str | None:
    """Why the sealed entry ``row`` does not hold, or None."""
    if row.seq is None:
        return None
    prev = bytes(row.prev_hash)
    if row.seq == 1:
        linked = prev == audit.GENESIS_HASH
    else:
        linked = row.previous_hash is not None and bytes(row.previous_hash) == prev
    if not linked:
        return f"seal {row.seq} (entry {row.id}) does not link to seal {row.seq - 1}"
    decoded = audit.decoded_entry(row._mapping)
    if audit.entry_hash(row.seq, decoded, prev) != bytes(row.hash):
        return (
            f"entry {row.id} (seal {row.seq}, action {row.action}) has been altered: its hash does not match"
        )
    return None


async def history(uow: UnitOfWork, actor: Actor, object_type: str, object_id: str) -> History:
    if object_type not in OBJECT_TYPES:
        raise InvalidInput(
            f"a history is of a {', '.join(OBJECT_TYPES)}, not {object_type[:40]!r}", field="object_type"
        )
    if (not object_id.isdigit() and object_type != "document") or len(object_id) > 80:
        raise InvalidInput(f"{object_id[:80]!r} is not a {object_type} id", field="object_id")
    if object_type == "bid":
        await _bid_opened(uow, actor, int(object_id))
    rows = (
        await uow.session.execute(
            _ENTRIES, {"object_type": object_type, "object_id": object_id, "limit": MAX_ENTRIES}
        )
    ).all()
    if not rows:
        raise NotFound(f"the audit log has nothing about {object_type} {object_id}", object_id=object_id)
    changes = []
    first_broken = None
    for row in rows:
        problem = _check(row)
        if problem is not None and first_broken is None:
            first_broken = problem
        changes.append(
            Change(
                row.id,
                row.seq,
                row.occurred_at,
                row.actor_label,
                row.action,
                audit.decoded_entry(row._mapping)["payload"],
                None if row.seq is None else problem is None,
            )
        )
    return History(object_type, object_id, changes, first_broken)


async def _bid_opened(uow: UnitOfWork, actor: Actor, bid_id: int) -> None:
    """Only a bid on an opening list has a history to show: its procurement is known only
    from there (bids are filed under a blinded tag), and before the opening nobody may learn
    that it exists."""
    opened = await uow.session.scalar(
        select(BidOpening.procurement_id).where(BidOpening.entries.contains([{"bid_id": bid_id}])).limit(1)
    )
    if opened is None:
        await audit.record(uow, actor, "bid:early_read_refused", "bid", bid_id, {"via": "history"})
        raise EarlyBidHistory(
            "a bid's history is shown once it is on an opening list: before the opening it would tell who bid"
        )


class EarlyBidHistory(PermissionDenied):
    """Refused and audited (the caller commits the audit entry before answering)."""

    code = "sealed-until-opening"
