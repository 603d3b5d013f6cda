"""The pages of objections (质疑) and complaints (投诉), in Chinese:

- ``/procurements/{id}/objections/new``: a respondent's form (grounds and evidence files);
- ``/my/objections``: the objector's list, with the complaint form after a dismissal;
- ``/my/procurements/{id}/objections``: the owner's list with the answer form;
- ``/supervision/objections``: a supervisor's list of objections owed an answer (overdue ones
  marked) and complaints owed a decision, with the decision form.

Every act is the service's (:mod:`market.award.objections`); a refusal is shown on the page
it came from with its reason and what was typed, nothing written. A visitor is sent to sign
in first; another role gets the 403 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market.award import objection_rules, objection_views, objections
from market.errors import MarketError, NotFound, PermissionDenied
from market.models import Procurement
from market.principal import Principal, Role
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.objection_schemas import CaseForm, grounds_of, uploads
from web.page_access import PAGE_EXCEPTION_HANDLERS, SignInFirst, tried
from web.params import Id
from web.procurement_page_views import china_time

Multipart = Body(media_type=RequestEncodingType.MULTI_PART)


def _pages_for(*roles: Role) -> Any:
    allowed = requires(*roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if signed_in_principal(connection) is None:
            raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
        await allowed(connection, handler)

    return guard


firms_only = _pages_for(Role.INTERMEDIARY, Role.CONTRACTOR)
owners_only = _pages_for(Role.OWNER)
supervisors_only = _pages_for(Role.SUPERVISOR)


def _context(app_state: Any, **more: Any) -> dict[str, Any]:
    return {
        "platform_name": app_state.settings.platform_name,
        "china_time": china_time,
        "grounds_most": objection_rules.GROUNDS,
        "answer_most": objection_rules.ANSWER,
        "note_most": objection_rules.NOTE,
        "now": app_state.clock.now(),
        **more,
    }


def _typed(value: object, most: int) -> str:
    return value[: most * 2] if isinstance(value, str) else ""


class ObjectionPages(Controller):
    path = "/"
    tags = ["objections"]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    # -- the respondent's form ----------------------------------------------------------------
    async def _form(
        self,
        uow: Any,
        app_state: Any,
        procurement_id: int,
        error: str = "",
        typed: str = "",
        status: int = 200,
    ) -> Template:
        row = await uow.session.get(Procurement, procurement_id)
        if row is None or not row.status.public:
            raise NotFound(f"there is no procurement {procurement_id}")
        context = _context(app_state, procurement=row, error=error, typed=typed)
        return Template(template_name="objections/new.html", context=context, status_code=status)

    @get("/procurements/{procurement_id:int}/objections/new", guards=[firms_only], summary="质疑表单")
    async def new(self, procurement_id: Id, uow: UoW, app_state: State) -> Template:
        return await self._form(uow, app_state, procurement_id)

    @post("/procurements/{procurement_id:int}/objections/new", guards=[firms_only], summary="提出质疑")
    async def lodge(
        self,
        procurement_id: Id,
        data: Annotated[CaseForm, Multipart],
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        terms = procurement_terms_of(app_state.settings)
        typed = _typed(data.grounds, objection_rules.GROUNDS)
        try:
            files = await uploads(data, terms.attachments.max_bytes)
            made = await objections.lodge(
                uow,
                actor,
                principal,
                procurement_id,
                grounds_of(data),
                files,
                app_state.clock.now(),
                terms=terms,
            )
        except (NotFound, PermissionDenied):
            raise  # the 404 and 403 pages (problem+json for a client that is no browser)
        except MarketError as exc:
            await uow.rollback()
            return await self._form(uow, app_state, procurement_id, exc.message, typed, status_for(exc))
        objection_id = made.id
        await uow.commit()
        return Redirect(path=f"/my/objections#objection-{objection_id}", status_code=HTTP_303_SEE_OTHER)

    # -- the objector's list and complaint ------------------------------------------------------
    async def _mine(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        refused: tuple[int, str, str] | None = None,
        status: int = 200,
    ) -> Template:
        lines = await objection_views.mine(uow, principal)
        context = _context(app_state, lines=lines, refused=refused)
        return Template(template_name="objections/mine.html", context=context, status_code=status)

    @get("/my/objections", guards=[firms_only], summary="我的质疑")
    async def mine(self, uow: UoW, app_state: State, principal: CurrentPrincipal) -> Template:
        return await self._mine(uow, app_state, principal)

    @post("/my/objections/{objection_id:int}/complaint", guards=[firms_only], summary="提出投诉")
    async def complain(
        self,
        objection_id: Id,
        data: Annotated[CaseForm, Multipart],
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        terms = procurement_terms_of(app_state.settings)
        typed = _typed(data.grounds, objection_rules.GROUNDS)
        try:
            files = await uploads(data, terms.attachments.max_bytes)
            await objections.complain(
                uow,
                actor,
                principal,
                objection_id,
                grounds_of(data),
                files,
                app_state.clock.now(),
                terms=terms,
            )
        except (NotFound, PermissionDenied):
            raise  # the 404 and 403 pages (problem+json for a client that is no browser)
        except MarketError as exc:
            await uow.rollback()
            return await self._mine(
                uow, app_state, principal, (objection_id, exc.message, typed), status_for(exc)
            )
        await uow.commit()
        return Redirect(path=f"/my/objections#objection-{objection_id}", status_code=HTTP_303_SEE_OTHER)

    # -- the owner's list and answer -------------------------------------------------------------
    async def _owned(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        procurement_id: int,
        refused: tuple[int, str, str] | None = None,
        status: int = 200,
    ) -> Template:
        row, lines = await objection_views.of_procurement(uow, principal, procurement_id)
        context = _context(app_state, procurement=row, lines=lines, refused=refused)
        return Template(template_name="objections/owner.html", context=context, status_code=status)

    @get("/my/procurements/{procurement_id:int}/objections", guards=[owners_only], summary="质疑答复")
    async def owned(
        self, procurement_id: Id, uow: UoW, app_state: State, principal: CurrentPrincipal
    ) -> Template:
        return await self._owned(uow, app_state, principal, procurement_id)

    @post(
        "/my/procurements/{procurement_id:int}/objections/{objection_id:int}/answer",
        guards=[owners_only],
        summary="答复质疑",
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        objection_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        decision, text = posted.get("decision"), posted.get("answer")
        typed = _typed(text, objection_rules.ANSWER)
        _, exc = await tried(
            objections.answer(
                uow, actor, principal, app_state.bid_key(), objection_id, decision, text or "",
                app_state.clock.now(), terms=procurement_terms_of(app_state.settings),
            )
        )  # fmt: skip
        if exc is not None:
            await uow.rollback()
            refused = (objection_id, exc.message, typed)
            return await self._owned(uow, app_state, principal, procurement_id, refused, status_for(exc))
        await uow.commit()
        return Redirect(
            path=f"/my/procurements/{procurement_id}/objections#objection-{objection_id}",
            status_code=HTTP_303_SEE_OTHER,
        )

    # -- the supervisor's list and decision ------------------------------------------------------
    async def _supervised(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        refused: tuple[int, str, str] | None = None,
        status: int = 200,
    ) -> Template:
        lines = await objection_views.supervision(uow, principal)
        context = _context(app_state, lines=lines, refused=refused)
        return Template(template_name="objections/supervision.html", context=context, status_code=status)

    @get("/supervision/objections", guards=[supervisors_only], summary="质疑与投诉监督")
    async def supervised(self, uow: UoW, app_state: State, principal: CurrentPrincipal) -> Template:
        return await self._supervised(uow, app_state, principal)

    @post(
        "/supervision/objections/{objection_id:int}/decision",
        guards=[supervisors_only],
        summary="投诉处理决定",
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        objection_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        decision, note = posted.get("decision"), posted.get("note")
        typed = _typed(note, objection_rules.NOTE)
        _, exc = await tried(
            objections.decide(
                uow, actor, principal, app_state.bid_key(), objection_id, decision, note or "",
                app_state.clock.now(), terms=procurement_terms_of(app_state.settings),
            )
        )  # fmt: skip
        if exc is not None:
            await uow.rollback()
            return await self._supervised(
                uow, app_state, principal, (objection_id, exc.message, typed), status_for(exc)
            )
        await uow.commit()
        return Redirect(
            path=f"/supervision/objections#objection-{objection_id}", status_code=HTTP_303_SEE_OTHER
        )
