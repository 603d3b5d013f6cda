"""Sign in and out."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from market import accounts
from web.auth import PUBLIC, session_cookie, signed_in
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW, client_address
from web.schemas import LoginRequest, LoginResponse, PrincipalView, SignedOut
from web.security import NO_CSRF_TOKEN


class SessionController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

    @post(
        "/login",
        # Signing in uses no authority a session cookie carries, so a browser that still holds
        # one needs no CSRF token here; login CSRF is closed by the JSON-only body instead.
        opt={**PUBLIC, **NO_CSRF_TOKEN},
        status_code=200,
        summary="Sign in (登录)",
        description="Returns a bearer token for the API and sets an HTTP-only cookie for the "
        "pages. Refused attempts are counted per account and per address; past the limit "
        "the answer is 429 with Retry-After.",
    )
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest], uow: UoW, app_state: State
    ) -> Response[LoginResponse]:
        result = await accounts.login(
            uow,
            username=data.username,
            password=data.password,
            address=client_address(request),
            now=app_state.clock.now(),
            auth=app_state.settings.auth,
        )
        await uow.commit()
        cookie = session_cookie(app_state.settings, result.token)
        body = LoginResponse(result.token, "Bearer", result.expires_at, PrincipalView.of(result.principal))
        return Response(body, cookies=[cookie])

    @post(
        "/logout",
        guards=[signed_in],
        status_code=200,
        summary="Sign out (退出)",
        description="Ends this session: the token and the cookie stop working.",
    )
    async def logout(
        self, request: Request[Any, Any, Any], uow: UoW, app_state: State, actor: CurrentActor
    ) -> Response[SignedOut]:
        token = request.scope.get("auth")
        if token:
            await accounts.logout(uow, token, actor)
            await uow.commit()
            app_state.recent_sessions.forget(accounts.token_digest(token))
        response = Response(SignedOut("signed out"))
        response.delete_cookie(app_state.settings.auth.cookie_name, path="/")
        return response

    @get("/me", guards=[signed_in], summary="Who am I", description="The signed-in user and their roles.")
    async def me(self, principal: CurrentPrincipal) -> PrincipalView:
        return PrincipalView.of(principal)
