"""``Idempotency-Key``: a retried request gets the first answer, never a second act.

Creating and publishing a procurement take the header (issue 11). The first request with a
key claims it by *inserting* its record before it acts, in the same transaction as the act:
a second request with the same user, scope and key waits on the unique index until the
first commits, then finds the record and gets its answer again — so two simultaneous
requests never both create. If the first rolls back (it was refused), its claim goes with
it and a retry acts afresh: only answers that were committed are replayed.

The body is kept only as a keyed fingerprint (:meth:`KeyEncryptionKey.fingerprint`), never a
plain hash: a short body could be found by trying values. The same key with another body is
a 409 naming the key. Records live 24 hours; each claim deletes a bounded batch of expired
ones, so no scheduler is needed. Bids do not come here: their idempotency is sealed in
``bid_version`` (see ``docs/sealed-bids.md``), since this table shows user, scope and time
in clear.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput
from market.models import IdempotencyRecord
from market.sealed.keys import KeyEncryptionKey

HEADER = "Idempotency-Key"
KEY_LENGTH = 200
LIFETIME = timedelta(hours=24)
PURGE_BATCH = 100
_PENDING = 0  # the status of a claim whose act has not finished (never seen by others)


class IdempotencyKeyReused(Conflict):
    """The key was used for a request with another body."""

    code = "idempotency-key-reused"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a request answered: its status and JSON body; ``replayed`` for a retry."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def check_key(key: str) -> str:
    """The key as given, if it is 1 to 200 printable ASCII characters."""
    if not 1 <= len(key) <= KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise InvalidInput(
            f"{HEADER} is 1 to {KEY_LENGTH} printable ASCII characters (e.g. a UUID)", field=HEADER
        )
    return key


def fingerprint(kek: KeyEncryptionKey, scope: str, body: Mapping[str, Any]) -> str:
    """The keyed digest of the request's JSON, written canonically (key order and spacing
    do not make two bodies different)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return kek.fingerprint(f"idempotency {scope}", canonical.encode())


async def _purge(uow: UnitOfWork, now: datetime) -> None:
    expired = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.created_at < now - LIFETIME)
        .order_by(IdempotencyRecord.created_at)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    await uow.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(expired.scalar_subquery()))
    )


async def once(
    uow: UnitOfWork,
    kek: KeyEncryptionKey,
    *,
    user_id: int,
    scope: str,
    key: str | None,
    body: Mapping[str, Any],
    now: datetime,
    act: Callable[[], Awaitable[Answer]],
) -> Answer:
    """``act()``'s answer, or the answer a request with the same ``key`` got before.

    ``scope`` names what is done (``procurement:create``, ``procurement:publish:42``). The
    caller commits; the record and the act are one transaction. Without a key, just acts."""
    if key is None:
        return await act()
    key = check_key(key)
    digest = fingerprint(kek, scope, body)
    await _purge(uow, now)
    same = (
        IdempotencyRecord.user_id == user_id,
        IdempotencyRecord.scope == scope,
        IdempotencyRecord.key == key,
    )
    # an expired record of this very key would otherwise answer for a day longer
    await uow.session.execute(
        delete(IdempotencyRecord).where(*same, IdempotencyRecord.created_at < now - LIFETIME)
    )
    claimed = await uow.session.scalar(
        insert(IdempotencyRecord)
        .values(
            user_id=user_id,
            scope=scope,
            key=key,
            fingerprint=digest,
            status_code=_PENDING,
            response={},
            created_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_idempotency_record_user_scope_key")
        .returning(IdempotencyRecord.id)
    )
    if claimed is None:
        first = (await uow.session.execute(select(IdempotencyRecord).where(*same))).scalar_one()
        if first.fingerprint != digest:
            raise IdempotencyKeyReused(
                f"{HEADER} {key!r} was used for a different request; use a new key for a new request",
                idempotency_key=key,
            )
        return Answer(first.status_code, dict(first.response), replayed=True)
    answer = await act()
    await uow.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == claimed)
        .values(status_code=answer.status_code, response=answer.body)
    )
    return answer
