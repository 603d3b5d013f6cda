"""What a browser must not be able to do on someone's behalf, and what it is told to refuse.

- **CSRF.** A request that the session cookie signs in (the pages, or an API client that keeps
  cookies) borrows authority the browser attaches by itself, so a state-changing one must also
  carry the CSRF token. Litestar's :class:`CSRFMiddleware` does the double-submit check (token
  in the ``market_csrf`` cookie, echoed in the ``X-CSRFToken`` header or the ``_csrf_token``
  form field, HMAC-signed); :class:`BrowserRequestGuard` decides which requests go through it.
  ``Authorization: Bearer`` requests skip it: no browser adds that header by itself, and a page
  of another site cannot add it without a CORS preflight this service never grants.
  Unsafe requests with no session cookie have no authority to borrow and pass unchecked; the
  two of them that matter (login, the self-service application) take JSON, which a cross-site
  form cannot send (next point), so login CSRF is closed too.
- **Content types.** A handler that declares a JSON body refuses any other Content-Type with
  415: ``text/plain`` and form bodies are what cross-site forms and no-preflight fetches send.
- **Response headers** on every answer (:func:`security_headers`): a CSP with nothing inline and
  nothing third-party, no framing, nosniff, a referrer policy, ``no-store`` outside /static/
  and HSTS when the platform is served over https.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from market.settings import Settings

CSRF_COOKIE = "market_csrf"
CSRF_HEADER = "x-csrftoken"
CSRF_FORM_FIELD = "_csrf_token"  # fixed by Litestar's middleware
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_CSRF_TOKEN = {"exclude_from_csrf": True}
"""Route ``opt`` for the rare unsafe handler that uses no authority the cookie carries."""
CSRF_SIGNED_OUT = {"csrf_signed_out": True}
"""Route ``opt`` for a form handler that needs the token even from a browser with no session:
the sign-in page's form, which a page of another site could otherwise post to sign the
victim's browser into the attacker's account (login CSRF)."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # Swagger UI's icons are data: SVGs inside its stylesheet
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS_SECONDS = 365 * 24 * 3600

CSRF_REFUSED = (
    "缺少或无效的防伪令牌（CSRF），请刷新页面后重试。This request is signed in by the session "
    f"cookie, so it must carry the CSRF token: send the value of the {CSRF_COOKIE} cookie in an "
    f"X-CSRFToken header (pages send the {CSRF_FORM_FIELD} form field), or sign API calls with "
    "'Authorization: Bearer <token>' instead of the cookie"
)


def csrf_secret(home: Path) -> str:
    """The key that signs CSRF tokens, kept in ``MARKET_HOME``: it must survive restarts and be
    the same for every worker, or browsers holding a token cookie would be refused until it
    expired (Litestar keeps an existing cookie rather than replacing it)."""
    path = home / "csrf-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it meanwhile
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return path.read_text().strip()


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=csrf_secret(settings.home),
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.secure_cookies,
        # readable by the page's own scripts (the API explorer echoes it into the header);
        # SameSite=Strict like the session cookie
        cookie_httponly=False,
        cookie_samesite="strict",
        safe_methods=set(SAFE_METHODS),  # type: ignore[arg-type]
    )


def _signed_by_bearer(headers: Headers) -> bool:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(value.strip())


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _takes_json_body(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    parameter = handler.parsed_fn_signature.parameters.get("data") if handler is not None else None
    if parameter is None:
        return False
    declared = getattr(parameter.kwarg_definition, "media_type", RequestEncodingType.JSON)
    return bool(declared == RequestEncodingType.JSON)


def route_opt(scope: Scope, key: str) -> bool:
    """Whether the matched route's ``opt`` sets ``key`` (False before routing)."""
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(key))


def refuse_non_json_body(scope: Scope, method: str, headers: Headers) -> None:
    """415 for a body that is not JSON on a handler that reads JSON. A request with no body and
    no Content-Type passes: the handler then says what is missing."""
    if not _takes_json_body(scope):
        return
    content_type = headers.get("content-type", "")
    if content_type and _is_json(content_type):
        return
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if not content_type and not has_body:
        return
    got = content_type.partition(";")[0].strip() or "no Content-Type"
    raise HTTPException(
        status_code=415,
        detail=f"{method} {scope['path']} reads a JSON body: send Content-Type: application/json (got {got})",
        extra={"code": "unsupported-media-type"},
    )


class BrowserRequestGuard(ASGIMiddleware):
    """CSRF for cookie-signed requests, JSON-only bodies for JSON handlers (see the module)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, csrf: CSRFConfig, session_cookie: str) -> None:
        self.csrf = csrf
        self.session_cookie = session_cookie

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = Headers.from_scope(scope)
        method = cast("HTTPScope", scope)["method"]
        passed_csrf = False

        async def checked(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal passed_csrf
            passed_csrf = True
            if method not in SAFE_METHODS:
                refuse_non_json_body(scope, method, headers)
            await next_app(scope, receive, send)

        if _signed_by_bearer(headers):
            await checked(scope, receive, send)
        elif (
            method in SAFE_METHODS
            or self.session_cookie in ASGIConnection(scope).cookies
            or route_opt(scope, "csrf_signed_out")
        ):
            try:
                await CSRFMiddleware(checked, self.csrf)(scope, receive, send)
            except PermissionDeniedException:
                if passed_csrf:  # a guard of the handler, not the token check
                    raise
                raise PermissionDeniedException(CSRF_REFUSED, extra={"code": "csrf-token-invalid"}) from None
        else:
            await checked(scope, receive, self._handing_out_token(scope, send))

    def _handing_out_token(self, scope: Scope, send: Send) -> Send:
        """Without a session cookie nothing is checked, but a successful answer still hands out
        a token (a page re-rendered with a form needs one, and so does a cookie client after
        login); a refused one sets no cookie at all."""
        existing = ASGIConnection(scope).cookies.get(self.csrf.cookie_name)
        token = existing or generate_csrf_token(secret=self.csrf.secret)
        ScopeState.from_scope(scope).csrf_token = token
        with_cookie = CSRFMiddleware(_unused_app, self.csrf).create_send_wrapper(
            send=send, token=token, csrf_cookie=existing
        )

        async def send_token_on_success(message: Message) -> None:
            refused = message["type"] == "http.response.start" and message["status"] >= 400
            await (send if refused else with_cookie)(message)

        return send_token_on_success


async def _unused_app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    raise AssertionError("only the middleware's send wrapper is used")


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A ``before_send`` hook: it sees every answer, the router's own 404/405 included."""
    fixed: dict[str, str] = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
        "referrer-policy": "same-origin",
    }
    if settings.served_over_https:
        fixed["strict-transport-security"] = f"max-age={HSTS_SECONDS}"
    # Encoded once: every answer gets them, and encoding plus five header scans per answer
    # was a measurable part of a small request's cost.
    everywhere = {name.encode("latin-1"): value.encode("latin-1") for name, value in fixed.items()}
    # Only static files are the same for every caller. Everything else either depends on
    # who asks (sign-in, roles), carries a per-browser CSRF token in its forms, or states a
    # document's or firm's current status, which a cache must not replay.
    not_static = {**everywhere, b"cache-control": b"no-store"}

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path: Any = scope.get("path", "")
        ours = everywhere if str(path).startswith("/static/") else not_static
        message["headers"] = _set_headers(message.get("headers") or [], ours)

    return add_headers


def _set_headers(headers: Any, ours: dict[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """``headers`` with each of ``ours`` set: a header of that name already there keeps its
    place and takes our value, its duplicates go, and the others are appended (what setting
    them one by one through ``MutableScopeHeaders`` did, in one pass)."""
    result: list[tuple[bytes, bytes]] = []
    placed: set[bytes] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered not in ours:
            result.append((name, value))
        elif lowered not in placed:
            placed.add(lowered)
            result.append((lowered, ours[lowered]))
    result.extend((name, value) for name, value in ours.items() if name not in placed)
    return result
