"""The evaluation pages (issue 13): the firm's evaluations with its one objection
(``/my/evaluations``, 我的服务评价) and the supervisors' list of objections with the decision
form (``/supervision/evaluations``, 评价异议处理).

The acts are :mod:`market.award.evaluation`'s; a refusal shows the page again with the
problem beside the evaluation it concerns and what was typed, nothing written.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market.award import evaluation, evaluation_rules
from market.errors import MarketError
from market.principal import Principal
from market.procurement.terms import procurement_terms_of
from web.delivery_views import firm_pages_guard, refusal_of, supervisor_pages_guard, text_of
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.page_access import PAGE_EXCEPTION_HANDLERS, tried
from web.params import Id
from web.procurement_page_views import china_time


def _context(
    app_state: Any, lines: list[evaluation.EvaluationLine], now: Any, **extra: Any
) -> dict[str, Any]:
    terms = procurement_terms_of(app_state.settings)
    return {
        "platform_name": app_state.settings.platform_name,
        "lines": lines,
        "criteria": terms.after.criteria,
        "china_time": china_time,
        "now": now,
        "grounds_most": evaluation_rules.GROUNDS,
        "note_most": evaluation_rules.NOTE,
        "refusal": None,
        "done": "",
        **extra,
    }


async def _tried(uow: Any, act: Any) -> MarketError | None:
    """The refusal to show (rolled back), or None once the act is committed."""
    _, refused = await tried(act)
    await (uow.rollback() if refused is not None else uow.commit())
    return refused


class FirmEvaluationPages(Controller):
    """我的服务评价: the firm's evaluations and its objection."""

    path = "/my/evaluations"
    tags = ["delivery"]
    include_in_schema = False
    guards = [firm_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self, uow: Any, app_state: Any, principal: Principal, status: int = 200, **extra: Any
    ) -> Template:
        terms = procurement_terms_of(app_state.settings)
        lines = await evaluation.firm_evaluations(uow, principal, terms)
        context = _context(app_state, lines, app_state.clock.now(), **extra)
        return Template(template_name="delivery/evaluations.html", context=context, status_code=status)

    @get("/", summary="My firm's evaluations (我的服务评价)")
    async def list_page(
        self, uow: UoW, app_state: State, principal: CurrentPrincipal, done: FromQuery[str] = ""
    ) -> Template:
        return await self._page(uow, app_state, principal, done="objected" if done == "objected" else "")

    @post("/{evaluation_id:int}/objection", summary="Object to an evaluation (提出异议)")
    async def object_to(
        self, request: Request[Any, Any, Any], evaluation_id: Id, uow: UoW, app_state: State,
        principal: CurrentPrincipal, actor: CurrentActor,
    ) -> Template | Redirect:  # fmt: skip
        grounds = text_of((await request.form()).get("grounds"), evaluation_rules.GROUNDS)
        act = evaluation.object_to(
            uow, actor, principal, evaluation_id, grounds=grounds, now=app_state.clock.now(),
            terms=procurement_terms_of(app_state.settings),
        )  # fmt: skip
        refused = await _tried(uow, act)
        if refused is not None:
            refusal = refusal_of(refused, f"evaluation-{evaluation_id}", {"grounds": grounds})
            return await self._page(uow, app_state, principal, status_for(refused), refusal=refusal)
        return Redirect(
            path=f"/my/evaluations?done=objected#evaluation-{evaluation_id}", status_code=HTTP_303_SEE_OTHER
        )


class EvaluationSupervisionPages(Controller):
    """评价异议处理: every objection to an evaluation, undecided first, with the decision form."""

    path = "/supervision/evaluations"
    tags = ["delivery"]
    include_in_schema = False
    guards = [supervisor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self, uow: Any, app_state: Any, principal: Principal, status: int = 200, **extra: Any
    ) -> Template:
        lines = await evaluation.objections(uow, principal, procurement_terms_of(app_state.settings))
        context = _context(app_state, lines, app_state.clock.now(), **extra)
        return Template(template_name="delivery/supervision.html", context=context, status_code=status)

    @get("/", summary="Objections to evaluations (评价异议处理)")
    async def list_page(
        self, uow: UoW, app_state: State, principal: CurrentPrincipal, done: FromQuery[str] = ""
    ) -> Template:
        return await self._page(
            uow, app_state, principal, done=done if done in ("upheld", "dismissed") else ""
        )

    @post("/{evaluation_id:int}/decision", summary="Decide an objection (处理评价异议)")
    async def decide(
        self, request: Request[Any, Any, Any], evaluation_id: Id, uow: UoW, app_state: State,
        principal: CurrentPrincipal, actor: CurrentActor,
    ) -> Template | Redirect:  # fmt: skip
        posted = await request.form()
        decision = text_of(posted.get("decision"), 10)
        note = text_of(posted.get("note"), evaluation_rules.NOTE)
        act = evaluation.decide(
            uow, actor, principal, evaluation_id, decision=decision, note=note, now=app_state.clock.now()
        )
        refused = await _tried(uow, act)
        if refused is not None:
            refusal = refusal_of(refused, f"evaluation-{evaluation_id}", {"note": note, "decision": decision})
            return await self._page(uow, app_state, principal, status_for(refused), refusal=refusal)
        return Redirect(path=f"/supervision/evaluations?done={decision}", status_code=HTTP_303_SEE_OTHER)
