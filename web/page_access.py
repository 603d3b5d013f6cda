"""Who may open a page that needs signing in, and where a browser goes when it may not.

The API answers an unsigned request with 401; a page sends the person to the sign-in form
instead (303 to ``/login?next=…``), and back to where they were going once signed in. A
signed-in person without the role gets the 403 page (``web.errors`` renders it in Chinese
for a browser, as problem+json for anything else). ``next`` is only ever a path on this
site: :func:`safe_next` refuses anything a browser would read as another origin.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from market.errors import MarketError, NotFound, PermissionDenied
from market.models import Role
from web.auth import requires, signed_in_principal

SIGN_IN_PATH = "/login"
MAX_NEXT = 2000


class SignInFirst(NotAuthorizedException):
    """Raised by a page guard for a visitor who is not signed in."""


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default`` (no open redirect).

    A browser reads ``//evil.example`` and ``/\\evil.example`` as another host, and strips
    tabs and newlines before it does, so those are refused along with any scheme or host.
    """
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return default
    if value.startswith(("//", "/\\")) or any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN_PATH}?{urlencode({'next': next_path})}"


_owners = requires(Role.OWNER)


async def owner_pages_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Owner (业主) accounts only; a visitor is sent to sign in first."""
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
    await _owners(connection, handler)


def to_sign_in(request: Request[Any, Any, Any], exc: SignInFirst) -> Redirect:
    """Exception handler of the pages: after signing in, a GET comes back to its own page; a
    form posted without a session (it expired meanwhile) to the owner's list, since the
    form's address answers only POST."""
    if request.method == "GET":
        query = request.url.query
        back = request.url.path + (f"?{query}" if query else "")
    else:
        back = "/my/procurements"
    return Redirect(path=sign_in_url(safe_next(back)), status_code=HTTP_303_SEE_OTHER)


PAGE_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {SignInFirst: to_sign_in}


T = TypeVar("T")


async def tried(act: Awaitable[T]) -> tuple[T | None, MarketError | None]:
    """The act's result, or the refusal a page shows beside its form (the caller rolls back);
    a thing that is not there or that the reader may not do stays the error page (404, 403)."""
    try:
        return await act, None
    except (NotFound, PermissionDenied):
        raise
    except MarketError as exc:
        return None, exc
