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

from market.accounts import authenticate, authenticate_directly, token_digest
from market.models import Role
from market.principal import Principal
from market.settings import Settings
from web.security import route_opt
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


SESSION_CHECKED_IN_WRITE_KEY = "session_checked_in_write"
SESSION_CHECKED_IN_WRITE = {SESSION_CHECKED_IN_WRITE_KEY: True}
"""Route ``opt`` for a handler whose write checks the caller's session in its own statement
(the sealed bid's submission and replacement): its principal may come from
:class:`web.recent_sessions.RecentSessions`, and it calls :func:`read_again` before anything
it does not check that way."""

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
    pool before the handler runs, so a slow page never holds one idle; or, on a route marked
    :data:`SESSION_CHECKED_IN_WRITE`, a principal read from the same session a moment ago
    (:class:`web.recent_sessions.RecentSessions`)."""

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
            principal = await _signed_in(state, scope, token)
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


async def _signed_in(state: AppState, scope: Scope, token: str) -> Principal | None:
    if not route_opt(scope, SESSION_CHECKED_IN_WRITE_KEY):
        return await authenticate_directly(state.database, token, now=state.clock.now())
    digest = token_digest(token)
    principal = state.recent_sessions.get(digest)
    if principal is None:
        principal = await authenticate_directly(state.database, token, now=state.clock.now())
        if principal is not None:
            state.recent_sessions.put(digest, principal)
    return principal


def session_digest(connection: ASGIConnection[Any, Any, Any, Any]) -> bytes:
    """The digest of the signed-in caller's token (what ``market.accounts`` stores)."""
    token = connection.scope.get("auth")
    if not isinstance(token, str):
        raise NotAuthorizedException(_SIGN_IN_FIRST, extra={"code": "not-signed-in"})
    return token_digest(token)


async def read_again(connection: ASGIConnection[Any, Any, Any, Any], *roles: Role) -> Principal:
    """The caller read afresh from its session and held to ``roles`` as the route's guard
    holds it, for a route marked :data:`SESSION_CHECKED_IN_WRITE` before it does anything its
    write does not check: the principal the guard saw may be a few seconds old."""
    state = AppState.of(connection.app)
    digest = session_digest(connection)
    state.recent_sessions.forget(digest)
    token = connection.scope["auth"]
    principal = await authenticate_directly(state.database, token, now=state.clock.now())
    connection.scope["user"] = principal
    if principal is None:
        connection.scope["auth"] = None
    else:
        state.recent_sessions.put(digest, principal)
    checked = current_principal(connection)
    check_roles(checked, frozenset(roles))
    return checked


_SIGN_IN_FIRST = "sign in first: send 'Authorization: Bearer <token>' from POST /api/auth/login"


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise NotAuthorizedException(_SIGN_IN_FIRST, extra={"code": "not-signed-in"})
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
        check_roles(current_principal(connection), wanted)

    guard.__name__ = f"requires_{'_or_'.join(sorted(r.value for r in wanted)) or 'sign_in'}"
    return guard


signed_in = requires()


def check_roles(principal: Principal, wanted: frozenset[Role]) -> None:
    """What a :func:`requires` guard refuses: a principal holding none of ``wanted`` (any role
    passes if ``wanted`` is empty)."""
    if wanted and not principal.has_any(wanted):
        names = " or ".join(sorted(r.value for r in wanted))
        raise PermissionDeniedException(
            f"this needs the role {names}; you are signed in as {principal.username} "
            f"({', '.join(sorted(r.value for r in principal.roles))})",
            extra={"code": "permission-denied"},
        )


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
