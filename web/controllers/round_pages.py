"""HTML for what follows 流标: the owner's page of a failed procurement's next attempt
(重新发布, or the request for direct selection once enough attempts have failed) and the
supervisors' page that approves or rejects those requests (直接选取审批).

Every act goes through the services the API uses (:mod:`market.procurement.republish`,
:mod:`market.direct.service`); a refusal shows the page again with its reason beside the
form (409/422), said in Chinese by :file:`rounds/_messages.html` from the refusal's code and
data. A procurement the reader may not see, or may not act on, is the error page.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market import policy
from market.direct import service as direct
from market.errors import MarketError, PermissionDenied
from market.models import Role
from market.principal import Principal
from market.procurement import service as procurements
from market.procurement.republish import chain_of, failed_attempts_through, republish, successor_of
from market.procurement.states import ProcurementStatus
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.page_access import (
    PAGE_EXCEPTION_HANDLERS,
    SignInFirst,
    owner_pages_guard,
    safe_next,
    sign_in_url,
    tried,
)
from web.params import Id
from web.procurement_page_views import china_time
from web.rounds_views import DECISION_LABELS

SUPERVISORS = requires(Role.SUPERVISOR)


def _see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _refusal(exc: MarketError | None) -> dict[str, Any] | None:
    """What the page's message macro needs: the code, the field and the data, no sentence."""
    if exc is None:
        return None
    return {"code": exc.code, "field": getattr(exc, "field", None) or "form", **exc.details}


def _text(value: Any, most: int) -> str:
    return str(value or "")[:most]


def _line(line: direct.RequestLine) -> dict[str, Any]:
    r = line.request
    return {
        "id": r.id,
        "procurement_id": r.procurement_id,
        "reference": line.reference,
        "title": line.title,
        "firm_name": line.firm_name,
        "uscc": line.uscc,
        "reason": r.reason,
        "requested_at": china_time(r.requested_at),
        "decision": r.decision,
        "decision_label": DECISION_LABELS.get(r.decision, ""),
        "decided_at": china_time(r.decided_at),
        "note": r.decision_note,
        "successor_id": r.successor_id,
    }


class RoundPages(Controller):
    """The owner's next attempt of a failed procurement."""

    path = "/my/procurements"
    tags = ["procurements"]
    include_in_schema = False
    guards = [owner_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self,
        uow: UoW,
        app_state: State,
        principal: Principal,
        procurement_id: int,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        row = await procurements.load(uow, principal, procurement_id)
        if not policy.may_edit_procurement(principal, row.owner_organisation_id):
            raise PermissionDenied("only the owner's organisation (业主) acts on its procurement")
        kind = procurement_terms_of(app_state.settings).of(row.kind)
        chain = await chain_of(uow, principal, row)
        successor = await successor_of(uow, row.id)
        lines = await direct.requests(uow, principal, pending_only=False, procurement_id=row.id)
        failed = row.status is ProcurementStatus.FAILED
        needed = kind.direct_after_failed_attempts
        count = failed_attempts_through(chain, row)
        pending = any(line.request.decision is None for line in lines)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "row": row,
            "chain": chain,
            "successor": successor,
            "failed": failed,
            "needed": needed,
            "failed_count": count,
            "may_republish": failed and successor is None,
            "may_request": failed
            and successor is None
            and needed is not None
            and count >= needed
            and not pending,
            "pending": pending,
            "requests": [_line(line) for line in lines],
            "refusal": None,
            "typed": {},
            "sent": False,
            **extra,
        }
        return Template(template_name="rounds/owner.html", context=context, status_code=status)

    @get("/{procurement_id:int}/rounds", summary="A failed procurement's next attempt (流标后续)")
    async def rounds_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        sent: FromQuery[str] = "",
    ) -> Template:
        return await self._page(uow, app_state, principal, procurement_id, sent=bool(sent))

    @post("/{procurement_id:int}/republish", summary="Re-publish as the next attempt (重新发布)")
    async def republish(
        self, procurement_id: Id, uow: UoW, app_state: State, principal: CurrentPrincipal, actor: CurrentActor
    ) -> Template | Redirect:
        act = republish(
            uow,
            actor,
            principal,
            procurement_id,
            app_state.clock.now(),
            await app_state.calendars.current(uow),
            procurement_terms_of(app_state.settings),
        )
        row, refused = await tried(act)
        if refused is not None or row is None:
            assert refused is not None
            await uow.rollback()
            return await self._page(
                uow, app_state, principal, procurement_id,
                status=status_for(refused), refusal=_refusal(refused),
            )  # fmt: skip
        await uow.commit()
        return _see_other(f"/my/procurements/{row.id}/edit?saved=1")

    @post("/{procurement_id:int}/direct-requests", summary="Ask for direct selection (申请直接选取)")
    async def request_direct(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        typed = {"uscc": _text(posted.get("uscc"), 40), "reason": _text(posted.get("reason"), 2000)}
        act = direct.request_direct(
            uow,
            actor,
            principal,
            procurement_id,
            app_state.clock.now(),
            procurement_terms_of(app_state.settings),
            uscc=typed["uscc"],
            reason=typed["reason"],
            vocabulary=app_state.vocabulary,
        )
        _, refused = await tried(act)
        if refused is not None:
            await uow.rollback()
            return await self._page(
                uow,
                app_state,
                principal,
                procurement_id,
                status=status_for(refused),
                refusal=_refusal(refused),
                typed=typed,
            )
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/rounds?sent=1")


def _signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})


def _to_sign_in(request: Request[Any, Any, Any], exc: SignInFirst) -> Redirect:
    return Redirect(
        path=sign_in_url(safe_next("/supervision/direct-requests")), status_code=HTTP_303_SEE_OTHER
    )


class DirectRequestPages(Controller):
    """The supervisors' page of requests for direct selection (直接选取审批)."""

    path = "/supervision/direct-requests"
    tags = ["procurements"]
    include_in_schema = False
    guards = [_signed_in, SUPERVISORS]
    exception_handlers = {SignInFirst: _to_sign_in}

    async def _page(
        self, uow: UoW, app_state: State, principal: Principal, status: int = 200, **extra: Any
    ) -> Template:
        lines = await direct.requests(uow, principal, pending_only=False)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "pending": [_line(line) for line in lines if line.request.decision is None],
            "decided": [_line(line) for line in lines if line.request.decision is not None][:50],
            "refusal": None,
            "refused_id": None,
            "typed": {},
            "done": "",
            **extra,
        }
        return Template(template_name="rounds/supervision.html", context=context, status_code=status)

    @get("/", summary="Requests for direct selection (直接选取审批)")
    async def list_page(
        self, uow: UoW, app_state: State, principal: CurrentPrincipal, done: FromQuery[str] = ""
    ) -> Template:
        return await self._page(
            uow, app_state, principal, done=done if done in ("approved", "rejected") else ""
        )

    @post("/{request_id:int}/approve", summary="Approve (批准)")
    async def approve(
        self,
        request: Request[Any, Any, Any],
        request_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        return await self._decide(request, request_id, uow, app_state, principal, actor, approve=True)

    @post("/{request_id:int}/reject", summary="Reject (驳回)")
    async def reject(
        self,
        request: Request[Any, Any, Any],
        request_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        return await self._decide(request, request_id, uow, app_state, principal, actor, approve=False)

    async def _decide(
        self,
        request: Request[Any, Any, Any],
        request_id: int,
        uow: UoW,
        app_state: State,
        principal: Principal,
        actor: Any,
        *,
        approve: bool,
    ) -> Template | Redirect:
        note = _text((await request.form()).get("note"), 2000)
        now = app_state.clock.now()
        act: Awaitable[object]
        if approve:
            act = direct.approve(
                uow,
                actor,
                principal,
                request_id,
                now,
                procurement_terms_of(app_state.settings),
                note=note,
                vocabulary=app_state.vocabulary,
            )
        else:
            act = direct.reject(uow, actor, principal, request_id, now, note=note)
        _, refused = await tried(act)
        if refused is not None:
            await uow.rollback()
            return await self._page(
                uow,
                app_state,
                principal,
                status=status_for(refused),
                refusal=_refusal(refused),
                refused_id=request_id,
                typed={"note": note},
            )
        await uow.commit()
        return _see_other(f"/supervision/direct-requests?done={'approved' if approve else 'rejected'}")
