"""The intermediary's (中介机构) pages for bidding: the procurements its firm may bid on and
why not, the bid form with its confirmation step, the receipt (回执), replacement,
withdrawal and re-confirmation after an amendment.

Secrecy (PLAN of issue 11, docs/sealed-bids.md): routes that submit carry no procurement in
their path (the procurement is a form field, the bid a form field or, for its receipt, the
path like ``/api/bids/{bid_id}``); pages that submit or show a bid are ``sealed``, so their
log line names neither user nor address. Only the firm's own users reach any of it: the
bid service answers another firm's bid as if it did not exist, and owners, supervisors and
administrators are refused by the role guard. Nothing is written except by the bid service;
a refusal is shown beside its field with what was typed, and nothing is committed.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from market.bidding import service as bidding
from market.errors import InvalidInput, MarketError, NotFound
from market.principal import Principal, Role
from market.procurement.terms import QuoteMode
from market.sealed.bids import Quote
from web.auth import requires
from web.bidding_context import (
    attachments_of,
    confirmation,
    fingerprint,
    receipt_link,
    refusal_of,
)
from web.bidding_flow import (
    bid_field,
    checked_quote,
    form_context,
    form_id,
    list_context,
    receipt_context,
    terms_of,
    text_of,
)
from web.bidding_views import (
    FieldError,
    attachment_problem,
)
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.params import INT64_MAX, Id, Page

SEALED = {"sealed": True}
FormId = Annotated[int, QueryParameter(ge=1, le=INT64_MAX, description="id")]


class BiddingPages(Controller):
    """HTML for intermediaries' users; every page about a bid is its own firm's."""

    path = "/bidding"
    tags = ["bidding"]
    include_in_schema = False
    guards = [requires(Role.INTERMEDIARY)]

    @staticmethod
    def _page(app_state: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Template:
        context = {"platform_name": app_state.settings.platform_name, **context}
        return Template(template_name=f"bidding/{name}", context=context, status_code=status_code)

    # -- the list -------------------------------------------------------------------------------
    @get("/", opt=SEALED, summary="Procurements my firm may bid on (可参与的采购项目)")
    async def list_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, page: Page = 1
    ) -> Template:
        return self._page(app_state, "list.html", await list_context(uow, app_state, principal, page))

    # -- the form ---------------------------------------------------------------------------------
    @get("/form", opt=SEALED, summary="The bid form of one procurement (报价)")
    async def form_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, procurement: FormId
    ) -> Template:
        context = await form_context(uow, app_state, principal, procurement, app_state.clock.now())
        return self._page(app_state, "form.html", context)

    @post("/review", opt=SEALED, status_code=200, summary="Check a quote before it is submitted (核对)")
    async def review(
        self, request: Request[Any, Any, Any], principal: CurrentPrincipal, uow: UoW, app_state: State
    ) -> Template:
        form = await request.form()
        procurement_id = form_id(form.get("procurement"))
        context = await form_context(uow, app_state, principal, procurement_id, app_state.clock.now())
        context["form"] = {"quote": text_of(form.get("quote"))}
        try:
            bid_id = bid_field(context, form)
        except InvalidInput:
            context["errors"] = [FieldError("form", "form-expired")]
            return self._page(app_state, "form.html", context, 409)
        if form.get("edit"):
            return self._page(app_state, "form.html", context)
        checked = checked_quote(context, form)
        if isinstance(checked, FieldError):
            context["errors"] = [checked]
            return self._page(app_state, "form.html", context, 422 if checked.field == "quote" else 409)
        mode, value = checked
        return self._page(
            app_state, "confirm.html", {**context, **confirmation(context, mode, value, bid_id)}
        )

    @post("/submit", opt=SEALED, summary="Submit or replace a bid (确认提交)")
    async def submit(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        actor: CurrentActor,
        uow: UoW,
        app_state: State,
    ) -> Template | Redirect:
        form = await request.form()
        now = app_state.clock.now()
        procurement_id = form_id(form.get("procurement"))
        context = await form_context(uow, app_state, principal, procurement_id, now)
        context["form"] = {"quote": text_of(form.get("quote"))}
        try:
            bid_id = bid_field(context, form)
        except InvalidInput:
            context["errors"] = [FieldError("form", "form-expired")]
            return self._page(app_state, "form.html", context, 409)
        checked = checked_quote(context, form)
        if isinstance(checked, FieldError):
            context["errors"] = [checked]
            return self._page(app_state, "form.html", context, 422 if checked.field == "quote" else 409)
        mode, value = checked
        confirming = {**context, **confirmation(context, mode, value, bid_id)}
        confirming["idempotency_key"] = (
            text_of(form.get("idempotency_key"))[:100] or confirming["idempotency_key"]
        )
        files = await attachments_of(form.getall("attachments") if "attachments" in form else [])
        problem = attachment_problem(context["limits"], files)
        if problem is not None:
            confirming["errors"] = [problem]
            return self._page(app_state, "confirm.html", confirming, 422)
        terms = terms_of(app_state)
        options: dict[str, Any] = {
            "vocabulary": app_state.vocabulary,
            "terms": terms,
            "attachments": files,
            "idempotency_key": confirming["idempotency_key"],
            "request_body": fingerprint(procurement_id, bid_id, mode, value, files),
        }
        quote = Quote(mode=mode.value, value=value)
        key = app_state.bid_key()
        try:
            if bid_id is None:
                receipt = await bidding.submit(
                    uow, actor, principal, key, procurement_id, quote, now, **options
                )
            else:
                receipt = await bidding.replace(uow, actor, principal, key, bid_id, quote, now, **options)
        except MarketError as exc:
            if isinstance(exc, NotFound):
                raise
            error = refusal_of(
                exc,
                context["detail"].terms,
                mode,
                value,
                avoidance_reason=context["avoidance_reason"],
                cancel_reason=context["detail"].cancel_reason,
                submitting=bid_id is None,
            )
            if error.field == "attachments":
                confirming["errors"] = [error]
                return self._page(app_state, "confirm.html", confirming, status_for(exc))
            context["errors"] = [error]
            return self._page(app_state, "form.html", context, status_for(exc))
        await uow.commit()
        return Redirect(path=receipt_link(receipt.bid_id), status_code=303)

    # -- the receipt ------------------------------------------------------------------------------
    @get("/receipts/{bid_id:int}", opt=SEALED, summary="A bid's receipt (回执)")
    async def receipt_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, bid_id: Id
    ) -> Template:
        return self._page(app_state, "receipt.html", await receipt_context(uow, app_state, principal, bid_id))

    @get("/receipts/{bid_id:int}/download", opt=SEALED, summary="A bid's receipt as a file (下载回执)")
    async def receipt_file(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, bid_id: Id
    ) -> Template:
        context = await receipt_context(uow, app_state, principal, bid_id)
        bid = context["bid"]
        return Template(
            template_name="bidding/receipt.txt",
            context={"platform_name": app_state.settings.platform_name, **context},
            media_type="text/plain; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="bid-receipt-{bid.id}-v{bid.version}.txt"'
            },
        )

    # -- withdrawal and re-confirmation -----------------------------------------------------------
    @get("/withdraw", opt=SEALED, summary="Confirm withdrawing a bid (撤回报价)")
    async def withdraw_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, bid: FormId
    ) -> Template:
        return self._page(app_state, "withdraw.html", await receipt_context(uow, app_state, principal, bid))

    @post("/withdraw", opt=SEALED, summary="Withdraw a bid")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        actor: CurrentActor,
        uow: UoW,
        app_state: State,
    ) -> Template | Redirect:
        form = await request.form()
        bid_id = form_id(form.get("bid"))
        return await self._act(
            uow, app_state, principal, actor, bid_id, "withdraw", form.get("confirmed") == "1"
        )

    @post("/reconfirm", opt=SEALED, summary="Re-confirm a bid after an amendment (重新确认)")
    async def reconfirm(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        actor: CurrentActor,
        uow: UoW,
        app_state: State,
    ) -> Template | Redirect:
        form = await request.form()
        bid_id = form_id(form.get("bid"))
        return await self._act(uow, app_state, principal, actor, bid_id, "reconfirm", True)

    async def _act(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        actor: Any,
        bid_id: int,
        action: str,
        confirmed: bool,
    ) -> Template | Redirect:
        page = "withdraw.html" if action == "withdraw" else "receipt.html"
        field = "bid" if action == "withdraw" else "reconfirm"
        if not confirmed:  # a withdrawal is asked twice: the page's own button says so
            return self._page(app_state, page, await receipt_context(uow, app_state, principal, bid_id))
        act = bidding.withdraw if action == "withdraw" else bidding.reconfirm
        try:
            await act(uow, actor, principal, app_state.bid_key(), bid_id, app_state.clock.now())
        except MarketError as exc:
            if isinstance(exc, NotFound):
                raise
            context = await receipt_context(uow, app_state, principal, bid_id)
            draft = context["detail"].terms
            error = refusal_of(exc, draft, QuoteMode.AMOUNT, None, cancel_reason=context["p"].cancel_reason)
            context["errors"] = [FieldError(field, error.code, error.params)]
            return self._page(app_state, page, context, status_for(exc))
        await uow.commit()
        return Redirect(path=receipt_link(bid_id), status_code=303)
