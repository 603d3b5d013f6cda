"""How the procurement API answers an act: the procurement as read back in the same unit of
work, and the idempotent acts (creating, publishing) whose first answer is kept under the
``Idempotency-Key`` and replayed, with its ``ETag``, to a retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from litestar import Response

from market import idempotency, policy
from market.errors import PermissionDenied
from market.idempotency import Answer
from market.principal import Principal
from market.procurement import listing, service
from web.dependencies import State, UoW
from web.procurement_schemas import etag
from web.procurement_views import ProcurementView


async def view_of(uow: UoW, principal: Principal | None, procurement_id: int) -> ProcurementView:
    await uow.session.flush()  # the session does not autoflush: a version just added is pending
    return ProcurementView.of(await listing.detail(uow, principal, procurement_id))


async def owned(uow: UoW, principal: Principal, procurement_id: int) -> Any:
    """The procurement if the principal acts for its owner: a draft of another organisation
    is a 404, a published procurement of another one a 403."""
    row = await service.load(uow, principal, procurement_id)
    if not policy.may_edit_procurement(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) acts on its procurement", procurement_id=procurement_id
        )
    return row


async def answered_once(
    uow: UoW,
    app_state: State,
    principal: Principal,
    *,
    scope: str,
    key: str | None,
    body: Any,
    now: datetime,
    status: int,
    make: Callable[[], Awaitable[ProcurementView]],
) -> Response[ProcurementView]:
    """Run ``make`` once per key and body (the act and the key's record commit together), or
    replay the first answer, marked ``Idempotent-Replayed``."""

    async def act() -> Answer:
        return Answer(status, msgspec.to_builtins(await make()))

    answer = await idempotency.once(
        uow, app_state.bid_key(), user_id=principal.user_id, scope=scope, key=key, body=body, now=now, act=act
    )
    await uow.commit()
    headers = {"ETag": etag(int(answer.body["version"]))} if "version" in answer.body else {}
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(answer.body, status_code=answer.status_code, headers=headers)  # type: ignore[arg-type]
