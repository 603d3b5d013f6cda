"""The contractor's (施工企业) page of its small-works offers, 我的抽取通知: each offer with
its procurement, rank, limit and answer, and for an open one the forms to confirm or to
decline with a reason (CSRF-protected like every form).

Only the firm's own users reach it (the guard sends a visitor to sign in first, refuses other
roles); the answer is :func:`market.draw.offers.answer`'s, and a refusal is shown beside the
offer it concerns with what was typed, nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market.draw import offer_views, offers
from market.draw.offer_rules import CONFIRMED, DECLINED, OfferClosed
from market.errors import InvalidInput, MarketError, NotFound
from market.principal import Principal, Role
from market.procurement import limits
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.page_access import PAGE_EXCEPTION_HANDLERS, SignInFirst
from web.params import Id
from web.procurement_page_views import china_time

_contractors = requires(Role.CONTRACTOR)


async def contractor_pages_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Contractor (施工企业) accounts only; a visitor is sent to sign in first."""
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
    await _contractors(connection, handler)


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One offer with its times in China time, for the template."""

    line: offer_views.OfferLine
    offered_at: str
    due_at: str
    answered_at: str
    open: bool


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused answer, by code for the template: ``lapsed``, ``answered``, ``reason``,
    ``reason-long``, ``closed``."""

    offer_id: int
    code: str
    typed: str = ""
    when: str = ""


def _refusal(offer_id: int, exc: MarketError, typed: str) -> Refusal:
    if isinstance(exc, OfferClosed):
        if "due_at" in exc.details:
            return Refusal(offer_id, "lapsed", typed)
        return Refusal(offer_id, "answered" if "answer" in exc.details else "closed", typed)
    if isinstance(exc, InvalidInput) and exc.field == "reason":
        return Refusal(offer_id, "reason" if not typed.strip() else "reason-long", typed)
    return Refusal(offer_id, "closed", typed)


class OfferPages(Controller):
    path = "/offers"
    tags = ["offers"]
    include_in_schema = False
    guards = [contractor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        refusal: Refusal | None = None,
        status: int = 200,
    ) -> Template:
        now = app_state.clock.now()
        rows = [
            OfferRow(
                line,
                china_time(line.offered_at),
                china_time(line.due_at),
                china_time(line.answered_at),
                line.open_at(now),
            )
            for line in await offer_views.firm_offers(uow, principal)
        ]
        return Template(
            template_name="offers/list.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "rows": rows,
                "now_text": china_time(now),
                "refusal": refusal,
                "reason_most": limits.REASON,
            },
            status_code=status,
        )

    @get("/", summary="My firm's offers of small works (我的抽取通知)")
    async def list_page(self, uow: UoW, app_state: State, principal: CurrentPrincipal) -> Template:
        return await self._page(uow, app_state, principal)

    @post("/{offer_id:int}/confirm", summary="Confirm an offer (确认承接)")
    async def confirm(
        self, offer_id: Id, uow: UoW, app_state: State, principal: CurrentPrincipal, actor: CurrentActor
    ) -> Template | Redirect:
        return await self._answer(uow, app_state, principal, actor, offer_id, CONFIRMED, "")

    @post("/{offer_id:int}/decline", summary="Decline an offer (放弃)")
    async def decline(
        self,
        request: Request[Any, Any, Any],
        offer_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        reason = posted.get("reason")
        typed = reason[: limits.REASON * 2] if isinstance(reason, str) else ""
        return await self._answer(uow, app_state, principal, actor, offer_id, DECLINED, typed)

    async def _answer(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        actor: Any,
        offer_id: int,
        given: str,
        reason: str,
    ) -> Template | Redirect:
        terms = procurement_terms_of(app_state.settings)
        try:
            await offers.answer(
                uow, actor, principal, offer_id, given, reason, app_state.clock.now(), terms=terms
            )
        except NotFound:
            raise
        except MarketError as exc:
            await uow.rollback()
            status = status_for(exc)
            return await self._page(uow, app_state, principal, _refusal(offer_id, exc, reason), status)
        await uow.commit()
        return Redirect(path=f"/offers#offer-{offer_id}", status_code=HTTP_303_SEE_OTHER)
