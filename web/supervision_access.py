"""Supervision data (监管) is for supervisors: anyone else signed in is refused with 403 and
the attempt goes into the audit log (``supervision:refused``, with the route), in its own
transaction so that the refusal's entry stays; a visitor is asked to sign in (401 on the API,
the sign-in page on a page)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import QueryParameter

from market import audit
from market.audit import Actor
from market.clock import local_day
from market.models import Role
from market.supervision import periods
from market.supervision.periods import Period
from web.auth import current_principal, signed_in_principal
from web.page_access import SignInFirst
from web.state import AppState


async def _refuse_unless_supervisor(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    principal = current_principal(connection)
    if Role.SUPERVISOR in principal.roles:
        return
    state = AppState.of(connection.app)
    address = connection.client.host if connection.client else ""
    async with state.database.unit_of_work() as uow:
        await audit.record(
            uow,
            Actor(principal.user_id, principal.username, address),
            "supervision:refused",
            "route",
            connection.scope["path"][:80],
            {"method": connection.scope["method"], "path": connection.scope["path"][:300]},
        )
        await uow.commit()
    raise PermissionDeniedException(
        "supervision data is for supervisors (监管人员); the attempt has been recorded in the audit log",
        extra={"code": "supervisors-only"},
    )


async def supervisors_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The API's guard: 401 for a visitor, 403 (audited) for anyone but a supervisor."""
    await _refuse_unless_supervisor(connection)


async def supervisor_pages_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The pages' guard: a visitor is sent to sign in first."""
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
    await _refuse_unless_supervisor(connection)


#: A short query value of the supervision routes (period, since, until, filter codes).
Text40 = Annotated[str | None, QueryParameter(max_length=40)]


def requested_period(app_state: Any, period: str | None, since: str | None, until: str | None) -> Period:
    """The period a supervision request asks for (this year, on the app's clock, by default)."""
    return periods.of_request(period, since, until, today=local_day(app_state.clock.now()))
