"""Idempotency-Key for bids: the first answer to a retried submission or replacement is
found through two HMACs stored on the version it made, under the procurement's data key —
of (user, key) and of (operation, request body) — so a retry gets its receipt again, the
same key with another request a 409, and the row shows neither who sent it nor what.
``idempotency_record`` (user and time in clear) is not used for bids."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select

from market.bidding.store import Receipt, receipt_of
from market.db import UnitOfWork
from market.errors import Conflict
from market.idempotency import check_key
from market.models import Bid, BidVersion, Procurement
from market.principal import Principal
from market.sealed.keys import DataKey, canonical_json


@dataclass(frozen=True, slots=True)
class RequestTags:
    idempotency: str
    request: str


def request_tags(
    dek: DataKey, principal: Principal, key: str | None, operation: str, body: bytes
) -> RequestTags | None:
    """HMACs under the procurement's data key of (user, key) and of (operation, body): a retry
    finds its first answer, and the row shows neither who sent it nor what."""
    if key is None:
        return None
    check_key(key)  # the same rule as every other Idempotency-Key
    subkey = dek.subkey(b"market bid idempotency/1")
    ident = hmac.new(subkey, canonical_json(["key", principal.user_id, key]), hashlib.sha256).hexdigest()
    request = hmac.new(subkey, canonical_json(["request", operation]) + b"\0" + body, hashlib.sha256)
    return RequestTags(ident, request.hexdigest())


async def replayed(uow: UnitOfWork, row: Procurement, tags: RequestTags | None) -> Receipt | None:
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
