"""Who is calling: bearer token (API) or HTTP-only cookie (pages); and role guards.

Every route handler either carries a role guard from here or is marked public with
``opt={"public": True}``; a test walks the routes to keep it so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from market.accounts import authenticate, authenticate_directly
from market.models import Role
from market.principal import Principal
from market.settings import Settings
from web.state import AppState

PUBLIC = {"public": True}
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def token_from(connection: ASGIConnection[Any, Any, Any, Any], cookie_name: str) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = connection.cookies.get(cookie_name)
    return cookie or None


REQUEST_UOW = "market_uow"
"""Where :class:`SessionMiddleware` leaves the signed-in request's unit of work for
``provide_uow`` (web.dependencies)."""


def _takes_uow(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return handler is not None and "uow" in handler.parsed_fn_signature.parameters


class SessionMiddleware(ASGIMiddleware):
    """Puts the :class:`Principal` (or None) into ``scope["user"]`` for guards and handlers.

    The session is looked up in the unit of work the handler then gets as ``uow``: one
    pooled connection and one transaction per signed-in request rather than two, which is
    most of what a small request costs. For a handler that takes no ``uow`` it is one
    statement on the direct pool (:func:`authenticate_directly`), its connection back in the
    pool before the handler runs, so a slow page never holds one idle."""

    scopes = ("http", "websocket")  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = AppState.of(scope["litestar_app"])
        token = token_from(ASGIConnection(scope), state.settings.auth.cookie_name)
        if not token:
            scope["user"] = scope["auth"] = None
            await next_app(scope, receive, send)
            return
        if not _takes_uow(scope):
            # one statement on the direct pool: no session, no transaction to open and end
            principal = await authenticate_directly(state.database, token, now=state.clock.now())
            scope["user"] = principal
            scope["auth"] = token if principal else None
            await next_app(scope, receive, send)
            return
        async with state.database.unit_of_work() as uow:
            principal = await authenticate(uow, token, now=state.clock.now())
            scope["user"] = principal
            scope["auth"] = token if principal else None
            scope.setdefault("state", {})[REQUEST_UOW] = uow
            try:
                await next_app(scope, receive, send)
            finally:
                del scope["state"][REQUEST_UOW]


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

    # async: Litestar runs a plain function guard in a worker thread, a thread hop per request
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
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
