"""Signing in and out through pages (登录 / 退出).

The same session as the API's ``POST /api/auth/login``: :func:`market.accounts.login`
checks the password, counts refusals per account and per address and opens the session;
the page sets the same HTTP-only cookie. The form carries the CSRF token even without a
session (``CSRF_SIGNED_OUT``): a form on another site must not sign a browser into the
attacker's account. A refusal shows the form again with the user name kept and the
password not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market import accounts
from market.audit import Actor
from market.errors import AuthenticationFailed, TooManyAttempts
from market.models import Role
from market.principal import Principal
from web.auth import PUBLIC, session_cookie, signed_in_principal
from web.dependencies import State, UoW, client_address
from web.page_access import SIGN_IN_PATH, safe_next
from web.security import CSRF_SIGNED_OUT

USERNAME_MAX = 64
PASSWORD_MAX = 1024


def landing(principal: Principal) -> str:
    """Where a person lands after signing in with nowhere else to go."""
    if Role.OWNER in principal.roles:
        return "/my/procurements"
    if Role.INTERMEDIARY in principal.roles:
        return "/bidding"
    if Role.CONTRACTOR in principal.roles:
        return "/offers"
    return "/"


class SignInPages(Controller):
    path = "/"
    tags = ["accounts"]
    include_in_schema = False

    @get("/login", opt=PUBLIC, summary="Sign-in page (登录)")
    async def form(
        self, request: Request[Any, Any, Any], app_state: State, next: FromQuery[str] = ""
    ) -> Template:
        return _form(request, app_state, next_path=safe_next(next, ""))

    @post("/login", opt={**PUBLIC, **CSRF_SIGNED_OUT}, summary="Sign in (登录)")
    async def sign_in(self, request: Request[Any, Any, Any], uow: UoW, app_state: State) -> Response[Any]:
        form = await request.form()
        username = str(form.get("username") or "")[:USERNAME_MAX]
        password = str(form.get("password") or "")[:PASSWORD_MAX]
        next_path = safe_next(str(form.get("next") or ""), "")
        if urlsplit(next_path).path == SIGN_IN_PATH:
            next_path = ""
        try:
            result = await accounts.login(
                uow,
                username=username,
                password=password,
                address=client_address(request),
                now=app_state.clock.now(),
                auth=app_state.settings.auth,
            )
        except TooManyAttempts as exc:
            minutes = max(1, exc.retry_after // 60)
            return _form(
                request,
                app_state,
                next_path=next_path,
                username=username,
                refusal="throttled",
                minutes=minutes,
                status=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        except AuthenticationFailed:
            # the deactivated account is told apart only after the right password (accounts.login)
            return _form(
                request, app_state, next_path=next_path, username=username, refusal="wrong", status=401
            )
        await uow.commit()
        target = next_path or landing(result.principal)
        return Redirect(
            path=target,
            status_code=HTTP_303_SEE_OTHER,
            cookies=[session_cookie(app_state.settings, result.token)],
        )

    @post("/logout", opt=PUBLIC, summary="Sign out (退出)")
    async def sign_out(self, request: Request[Any, Any, Any], uow: UoW, app_state: State) -> Redirect:
        principal = signed_in_principal(request)
        token = request.scope.get("auth")
        if principal is not None and token:
            actor = Actor(principal.user_id, principal.username, client_address(request))
            await accounts.logout(uow, token, actor)
            await uow.commit()
        response = Redirect(path="/", status_code=HTTP_303_SEE_OTHER)
        response.delete_cookie(app_state.settings.auth.cookie_name, path="/")
        return response


def _form(
    request: Request[Any, Any, Any],
    app_state: State,
    *,
    next_path: str,
    username: str = "",
    refusal: str = "",
    minutes: int = 0,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    return Template(
        template_name="login.html",
        context={
            "platform_name": app_state.settings.platform_name,
            "next": next_path,
            "username": username,
            "refusal": refusal,
            "minutes": minutes,
            "signed_in": signed_in_principal(request),
        },
        status_code=status,
        headers=headers,
    )
