"""Who is calling: bearer token (API) or HTTP-only cookie (pages); and role guards.

Every route handler either carries a role guard from here or is marked public with
``opt={"public": True}``; a test walks the routes to keep it so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from market.accounts import authenticate
from market.models import Role
from market.principal import Principal
from market.settings import Settings
from web.state import AppState

PUBLIC = {"public": True}
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def token_from(connection: ASGIConnection[Any, Any, Any, Any], cookie_name: str) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = connection.cookies.get(cookie_name)
    return cookie or None


class SessionMiddleware(ASGIMiddleware):
    """Puts the :class:`Principal` (or None) into ``scope["user"]`` for guards and handlers."""

    scopes = ("http", "websocket")  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = AppState.of(scope["litestar_app"])
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        token = token_from(connection, state.settings.auth.cookie_name)
        principal: Principal | None = None
        if token:
            async with state.database.unit_of_work() as uow:
                principal = await authenticate(uow, token, now=state.clock.now())
        scope["user"] = principal
        scope["auth"] = token if principal else None
        await next_app(scope, receive, send)


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise NotAuthorizedException(
            "sign in first: send 'Authorization: Bearer <token>' from POST /api/auth/login",
            extra={"code": "not-signed-in"},
        )
    return principal


def signed_in_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The signed-in user, or None on a public route visited without signing in."""
    principal = connection.scope.get("user")
    return principal if isinstance(principal, Principal) else None


def requires(*roles: Role) -> Guard:
    """A guard letting through signed-in users holding any of ``roles`` (any role if none)."""
    wanted = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = current_principal(connection)
        if wanted and not principal.has_any(wanted):
            names = " or ".join(sorted(r.value for r in wanted))
            raise PermissionDeniedException(
                f"this needs the role {names}; you are signed in as {principal.username} "
                f"({', '.join(sorted(r.value for r in principal.roles))})",
                extra={"code": "permission-denied"},
            )

    guard.__name__ = f"requires_{'_or_'.join(sorted(r.value for r in wanted)) or 'sign_in'}"
    return guard


signed_in = requires()


def session_cookie(settings: Settings, token: str) -> Cookie:
    """The cookie the pages are signed in by (the API's login and the sign-in page set the same)."""
    return Cookie(
        key=settings.auth.cookie_name,
        value=token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        max_age=settings.auth.session_hours * 3600,
        path="/",
    )
