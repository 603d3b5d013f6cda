"""The review step's pages (评审): a reviewer's score sheet (``/review/{id}``: firms ×
criteria, save, submit) and the owner's choice of reviewers (``/review/{id}/reviewers``).

Every act is :mod:`market.review.service`'s, as the API's are; a refusal is shown on the page
beside its cell, with what was typed kept and nothing written. Saving and submitting are one
form: "submit" saves what is typed and submits it in the same transaction, so a refused
submission leaves the sheet as it was before.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market.errors import MarketError, NotFound, PermissionDenied
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.review import rules, service
from web.auth import requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.page_access import SignInFirst, safe_next, sign_in_url, tried
from web.params import Id
from web.procurement_page_views import china_time

OWNERS = requires(Role.OWNER)
#: Most characters a score cell may hold as typed (the rules read it).
CELL = 12


def _signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})


def _to_sign_in(request: Request[Any, Any, Any], exc: SignInFirst) -> Redirect:
    return Redirect(path=sign_in_url(safe_next(request.url.path)), status_code=HTTP_303_SEE_OTHER)


def _see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _typed_sheet(form: Any, sheet: service.ReviewSheet) -> dict[str, dict[str, str]]:
    """The cells as typed (``s.<uscc>.<code>``), empty ones left out: a sheet to save."""
    typed: dict[str, dict[str, str]] = {}
    for firm in sheet.firms:
        for criterion in sheet.criteria:
            value = str(form.get(f"s.{firm.uscc}.{criterion.code}") or "").strip()[:CELL]
            if value:
                typed.setdefault(firm.uscc, {})[criterion.code] = value
    return typed


def _refusal(exc: MarketError) -> dict[str, Any]:
    """What the page says about a refusal: its code (the template has the words) and the
    cells (``uscc.code``) to mark, or the missing count."""
    cells = (
        [p.field.removeprefix("scores.") for p in exc.problems]
        if isinstance(exc, rules.ScoresRefused)
        else []
    )
    return {"code": exc.code, "cells": cells, "missing": len(exc.details.get("missing", []))}


class ReviewPages(Controller):
    """HTML for reviewers and the owner who names them."""

    path = "/review"
    tags = ["review"]
    include_in_schema = False
    guards = [_signed_in, OWNERS]
    exception_handlers = {SignInFirst: _to_sign_in}

    async def _sheet_page(
        self,
        uow: UoW,
        app_state: State,
        principal: Principal,
        procurement_id: int,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        sheet = await service.sheet_view(uow, principal, procurement_id, app_state.clock.now())
        typed = extra.pop("typed", None)
        cells = typed or {f: {c: format(v, "f") for c, v in s.items()} for f, s in sheet.scores.items()}
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "sheet": sheet,
            "cells": cells,
            "totals": {f: rules.total(s) for f, s in sheet.scores.items()},
            "review_deadline": china_time(sheet.window.review_deadline),
            "submitted_at": china_time(sheet.window.submitted_at),
            "refusal": None,
            "done": "",
            **extra,
        }
        return Template(template_name="review/sheet.html", context=context, status_code=status)

    @get("/{procurement_id:int}", summary="My score sheet (评分表)")
    async def sheet_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        done: FromQuery[str] = "",
    ) -> Template:
        return await self._sheet_page(uow, app_state, principal, procurement_id, done=done[:10])

    @post("/{procurement_id:int}", summary="Save or submit my scores (保存 / 提交评分)")
    async def save(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        form = await request.form()
        now = app_state.clock.now()
        sheet = await service.sheet_view(uow, principal, procurement_id, now)
        typed = _typed_sheet(form, sheet)
        submitting = form.get("action") == "submit"
        try:
            await service.put_scores(uow, actor, principal, procurement_id, typed, now)
            if submitting:
                await service.submit(uow, actor, principal, procurement_id, now)
        except (NotFound, PermissionDenied):
            raise
        except MarketError as exc:
            await uow.rollback()
            status = status_for(exc)
            return await self._sheet_page(
                uow, app_state, principal, procurement_id, status, typed=typed, refusal=_refusal(exc)
            )
        await uow.commit()
        return _see_other(f"/review/{procurement_id}?done={'submitted' if submitting else 'saved'}")

    # -- the owner names the reviewers (指定评审人) ------------------------------------------------
    async def _reviewers_page(
        self,
        uow: UoW,
        app_state: State,
        principal: Principal,
        procurement_id: int,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        named = await service.reviewers_view(uow, principal, procurement_id)
        candidates = await service.reviewer_candidates(uow, principal, procurement_id)
        row = await procurements.load(uow, principal, procurement_id)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "row": row,
            "named": {r.user_id: r for r in named},
            "candidates": candidates,
            "bid_deadline": china_time(row.bid_deadline),
            "review_deadline": china_time(row.review_deadline),
            "submitted": {r.user_id: china_time(r.submitted_at) for r in named if r.submitted_at},
            "refusal": None,
            "done": "",
            **extra,
        }
        return Template(template_name="review/reviewers.html", context=context, status_code=status)

    @get("/{procurement_id:int}/reviewers", summary="Name the reviewers (指定评审人)")
    async def reviewers_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        done: FromQuery[str] = "",
    ) -> Template:
        return await self._reviewers_page(uow, app_state, principal, procurement_id, done=done[:10])

    @post("/{procurement_id:int}/reviewers", summary="Name the reviewers (指定评审人)")
    async def name_reviewers(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        form = await request.form()
        chosen = [int(v) for v in form.getall("user_id", []) if str(v).isdigit() and len(str(v)) < 19]
        now = app_state.clock.now()
        _, exc = await tried(service.name_reviewers(uow, actor, principal, procurement_id, chosen, now))
        if exc is not None:
            await uow.rollback()
            status = status_for(exc)
            return await self._reviewers_page(
                uow, app_state, principal, procurement_id, status, refusal=exc.code
            )
        await uow.commit()
        return _see_other(f"/review/{procurement_id}/reviewers?done=1")
