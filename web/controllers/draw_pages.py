"""The draw ceremony's pages (抽取过程): the owner or a supervisor reveals a secret in the
reveal window (揭示), a supervisor adds a commitment before the bid deadline (监督承诺) and
enters the external beacon after the reveal deadline (录入随机信标); and the owner reserves
the reference the publish step's commitment is made over (预留项目编号).

Every act is :mod:`market.draw.service`'s (or the procurement service's), as the API's are;
a refusal is shown on the page, beside its field, with what was typed kept and nothing
written. Secrets are made and kept in the party's browser or computer: the pages only ever
receive a commitment, and a secret at its reveal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market import policy
from market.draw import service as draw
from market.errors import NotFound, PermissionDenied
from market.models import Procurement
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.publication import pool_freeze_time
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.draw_views import (
    Refusal,
    beacon_stage,
    ceremony_or_none,
    commit_stage,
    party_of,
    refusal_of,
    reveal_stage,
)
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

REVEALERS = requires(Role.OWNER, Role.SUPERVISOR)
SUPERVISORS = requires(Role.SUPERVISOR)


def _signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})


def _to_sign_in(request: Request[Any, Any, Any], exc: SignInFirst) -> Redirect:
    # each of these pages answers GET at the address its form posts to: come back to it
    return Redirect(path=sign_in_url(safe_next(request.url.path)), status_code=HTTP_303_SEE_OTHER)


def _see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _text(value: Any, most: int) -> str:
    return str(value or "").strip()[:most]


def _closes(row: Procurement, app_state: Any) -> datetime:
    if row.bid_deadline is not None:
        return row.bid_deadline
    return pool_freeze_time(row.selection_time, procurement_terms_of(app_state.settings).of(row.kind))


class DrawPages(Controller):
    """HTML for the parties of a draw: owners and supervisors."""

    path = "/draw"
    tags = ["draw"]
    include_in_schema = False
    guards = [_signed_in]
    exception_handlers = {SignInFirst: _to_sign_in}

    async def _page(
        self,
        uow: UoW,
        app_state: State,
        principal: Principal,
        procurement_id: int,
        name: str,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        row: Procurement = await procurements.load(uow, principal, procurement_id)
        now = app_state.clock.now()
        view = await ceremony_or_none(uow, principal, procurement_id, now)
        if view is None:
            raise NotFound(f"procurement {procurement_id} has no draw", procurement_id=procurement_id)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "row": row,
            "view": view,
            "reveal_deadline": china_time(view.reveal_deadline),
            "frozen_at": china_time(view.freeze.frozen_at) if view.freeze else "",
            # when the inputs are fixed: the bid deadline, or a small works' pool freeze
            "bid_deadline": china_time(_closes(row, app_state)),
            "selection_time": china_time(row.selection_time),
            "now": now,
            "refusal": None,
            "typed": {},
            **extra,
        }
        return Template(template_name=f"draw/{name}.html", context=context, status_code=status)

    # -- the reveal (揭示) -----------------------------------------------------------------------
    @get("/{procurement_id:int}/reveal", guards=[REVEALERS], summary="Reveal a secret (揭示)")
    async def reveal_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        party: FromQuery[str] = "",
        done: FromQuery[str] = "",
    ) -> Template:
        return await self._reveal(
            uow, app_state, principal, procurement_id, party_of(principal, party), done=bool(done)
        )

    async def _reveal(
        self, uow: UoW, app_state: State, principal: Principal, procurement_id: int, party: str, **extra: Any
    ) -> Template:
        now = app_state.clock.now()
        row = await procurements.load(uow, principal, procurement_id)
        if party == "owner" and not policy.acts_for_owner(principal, row.owner_organisation_id):
            raise PermissionDenied("the owner's secret is revealed by the owner's organisation (业主)")
        view = await ceremony_or_none(uow, principal, procurement_id, now)
        stage = reveal_stage(view, party, now) if view is not None else "ended"
        committed = next((c for c in view.commitments if c.party == party), None) if view else None
        context = {"party": party, "stage": stage, "committed": committed, **extra}
        return await self._page(uow, app_state, principal, procurement_id, "reveal", **context)

    @post("/{procurement_id:int}/reveal", guards=[REVEALERS], summary="Reveal a secret (揭示)")
    async def reveal(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        party = party_of(principal, _text(posted.get("party"), 20))
        secret = _text(posted.get("secret"), 200)
        now = app_state.clock.now()
        _, exc = await tried(draw.reveal(uow, actor, principal, procurement_id, party, secret, now))
        if exc is not None:
            view = await ceremony_or_none(uow, principal, procurement_id, now)
            refusal = refusal_of(exc, reveal_stage(view, party, now) if view else "ended")
            return await self._reveal(uow, app_state, principal, procurement_id, party, refusal=refusal,
                                      typed={"secret": secret}, status=status_for(exc))  # fmt: skip
        await uow.commit()
        return _see_other(f"/draw/{procurement_id}/reveal?party={party}&done=1")

    # -- a supervisor's commitment (监督承诺) ----------------------------------------------------
    @get("/{procurement_id:int}/commit", guards=[SUPERVISORS], summary="A supervisor's commitment (监督承诺)")
    async def commit_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        done: FromQuery[str] = "",
    ) -> Template:
        return await self._commit(uow, app_state, principal, procurement_id, done=bool(done))

    async def _commit(
        self, uow: UoW, app_state: State, principal: Principal, procurement_id: int, **extra: Any
    ) -> Template:
        now = app_state.clock.now()
        row = await procurements.load(uow, principal, procurement_id)
        view = await ceremony_or_none(uow, principal, procurement_id, now)
        stage = commit_stage(view, _closes(row, app_state), now) if view is not None else "closed"
        return await self._page(uow, app_state, principal, procurement_id, "commit", stage=stage, **extra)

    @post(
        "/{procurement_id:int}/commit", guards=[SUPERVISORS], summary="A supervisor's commitment (监督承诺)"
    )
    async def commit(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        value = _text(posted.get("commitment"), 200)
        now = app_state.clock.now()
        terms = procurement_terms_of(app_state.settings)
        _, exc = await tried(draw.commit(uow, actor, principal, procurement_id, value, now, terms=terms))
        if exc is not None:
            refusal = refusal_of(exc, "closed")
            if refusal.field == "form" and isinstance(exc, draw.CommitmentsClosed):
                refusal = Refusal("commit-closed", "commitment")
            return await self._commit(uow, app_state, principal, procurement_id, refusal=refusal,
                                      typed={"commitment": value}, status=status_for(exc))  # fmt: skip
        await uow.commit()
        return _see_other(f"/draw/{procurement_id}/commit?done=1")

    # -- the external beacon (录入随机信标) ------------------------------------------------------
    @get("/{procurement_id:int}/beacon", guards=[SUPERVISORS], summary="Enter the beacon (录入随机信标)")
    async def beacon_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        done: FromQuery[str] = "",
    ) -> Template:
        return await self._beacon(uow, app_state, principal, procurement_id, done=bool(done))

    async def _beacon(
        self, uow: UoW, app_state: State, principal: Principal, procurement_id: int, **extra: Any
    ) -> Template:
        now = app_state.clock.now()
        view = await ceremony_or_none(uow, principal, procurement_id, now)
        stage = beacon_stage(view, now) if view is not None else "late"
        return await self._page(uow, app_state, principal, procurement_id, "beacon", stage=stage, **extra)

    @post("/{procurement_id:int}/beacon", guards=[SUPERVISORS], summary="Enter the beacon (录入随机信标)")
    async def beacon(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        typed = {"value": _text(posted.get("value"), 200), "reference": _text(posted.get("reference"), 400)}
        now = app_state.clock.now()
        _, exc = await tried(
            draw.enter_beacon(uow, actor, principal, procurement_id, typed["value"], typed["reference"], now)
        )
        if exc is not None:
            view = await ceremony_or_none(uow, principal, procurement_id, now)
            refusal = refusal_of(exc, beacon_stage(view, now) if view else "late")
            return await self._beacon(uow, app_state, principal, procurement_id, refusal=refusal,
                                      typed=typed, status=status_for(exc))  # fmt: skip
        await uow.commit()
        return _see_other(f"/draw/{procurement_id}/beacon?done=1")


class ReferencePages(Controller):
    """The owner's publish step asks for the reference first: the commitment is made over it."""

    path = "/my/procurements"
    tags = ["procurements"]
    include_in_schema = False
    guards = [owner_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{procurement_id:int}/reference", summary="Reserve the reference (预留项目编号)")
    async def reserve(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Redirect:
        posted = await request.form()
        version = _text(posted.get("version"), 12)
        terms = procurement_terms_of(app_state.settings)
        await procurements.reserve_reference(
            uow, actor, principal, procurement_id, app_state.clock.now(), terms,
            expected_version=int(version) if version.isdigit() else None,
        )  # fmt: skip
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/edit#publish")
