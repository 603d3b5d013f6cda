"""The public procurement pages (采购公告): the list with its filters, one procurement's page
with its terms, amendments (变更公告) and attachments, and the attachments themselves.

Read through :mod:`market.procurement.listing`, like the API: drafts never appear in the
list, and a draft's page is a 404 to anyone outside its organisation. A bad filter is
shown on the list page itself (422), not as a JSON problem: a person typed it. Nothing on
these pages says whether anyone has bid, or who.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from market.clock import SHANGHAI
from market.errors import InvalidInput
from market.procurement import listing
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, procurement_terms_of
from web.auth import PUBLIC, signed_in_principal
from web.award_views import publicity_section
from web.dependencies import State, UoW
from web.draw_views import ceremony_or_none, ceremony_page
from web.offer_views import offer_chain_page
from web.paging import page_numbers
from web.params import Id
from web.procurement_page_views import detail_view, summary_line
from web.review_views import review_section
from web.rounds_views import chain_context

FILTERS = ("q", "kind", "service_type", "work_field", "division", "status", "deadline_from", "deadline_to")
PER_PAGE = 20


def _day(value: str, field: str, *, end: bool) -> datetime | None:
    """A day typed in the filter, as the start (or the end) of that day in China."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field} is a date like 2026-11-09", field=field) from None
    start = datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)
    return start + timedelta(days=1, microseconds=-1) if end else start


def _filters(form: dict[str, str], vocabulary: Any) -> listing.SearchFilters:
    def enum(name: str, cls: Any) -> Any:
        value = form[name].strip()
        if not value:
            return None
        try:
            return cls(value)
        except ValueError:
            raise InvalidInput(f"unknown {name}", field=name) from None

    def term(name: str, terms: Any) -> str | None:
        value = form[name].strip()
        return terms.resolve(value, field=name) if value else None

    status = enum("status", ProcurementStatus)
    if status is ProcurementStatus.DRAFT:
        raise InvalidInput("drafts are not published", field="status")
    return listing.SearchFilters(
        text=form["q"].strip() or None,
        kind=enum("kind", ProcurementKind),
        service_type=term("service_type", vocabulary.service_types),
        work_field=term("work_field", vocabulary.work_fields),
        division=term("division", vocabulary.divisions),
        status=status,
        deadline_from=_day(form["deadline_from"], "deadline_from", end=False),
        deadline_to=_day(form["deadline_to"], "deadline_to", end=True),
    )


def _page_number(value: str) -> int:
    if not value.strip():
        return 1
    if not value.strip().isdigit() or not 1 <= int(value) <= listing.MAX_PAGE:
        raise InvalidInput("page", field="page")
    return int(value)


class ProcurementPages(Controller):
    """HTML for anyone: find procurements and read one."""

    path = "/procurements"
    tags = ["procurements"]
    include_in_schema = False

    @get("/", opt=PUBLIC, summary="Procurement list page (采购公告)")
    async def list_page(
        self,
        uow: UoW,
        app_state: State,
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        service_type: FromQuery[str] = "",
        work_field: FromQuery[str] = "",
        division: FromQuery[str] = "",
        status: FromQuery[str] = "",
        deadline_from: FromQuery[str] = "",
        deadline_to: FromQuery[str] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        vocabulary = app_state.vocabulary
        form = {
            "q": q,
            "kind": kind,
            "service_type": service_type,
            "work_field": work_field,
            "division": division,
            "status": status,
            "deadline_from": deadline_from,
            "deadline_to": deadline_to,
        }
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "form": form,
            "kinds": [(k.value, k.label) for k in ProcurementKind],
            "statuses": [(s.value, s.label) for s in ProcurementStatus if s.public],
            "divisions": vocabulary.divisions.terms,
            "service_types": vocabulary.service_types.terms,
            "work_fields": vocabulary.work_fields.terms,
            "error_field": None,
            "result": None,
        }
        try:
            filters = _filters(form, vocabulary)
            result = await listing.search_public(uow, filters, page=_page_number(page), per_page=PER_PAGE)
        except InvalidInput as exc:
            context["error_field"] = exc.field or "query"
            return Template(template_name="procurements.html", context=context, status_code=422)
        kept = {key: value for key, value in form.items() if value.strip()}
        context["result"] = result
        context["rows"] = [summary_line(vocabulary, s) for s in result.items]
        context["page_links"] = [
            (number, f"/procurements?{urlencode(kept | {'page': number})}" if number else None)
            for number in page_numbers(result.page, result.pages)
        ]
        return Template(template_name="procurements.html", context=context)

    @get("/{procurement_id:int}", opt=PUBLIC, summary="A procurement's page (采购公告详情)")
    async def procurement_page(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW, app_state: State
    ) -> Template:
        principal = signed_in_principal(request)
        detail = await listing.detail(uow, principal, procurement_id)
        terms = procurement_terms_of(app_state.settings)
        view = detail_view(app_state.vocabulary, terms, detail)
        owns = principal is not None and principal.organisation_id == detail.summary.owner_organisation_id
        ceremony = await ceremony_or_none(uow, principal, procurement_id, app_state.clock.now())
        review = await review_section(uow, principal, procurement_id, detail.terms)
        result = await publicity_section(uow, principal, procurement_id, app_state.clock.now())
        return Template(
            template_name="procurement.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "p": view,
                "owns": owns,
                "takes_bids": terms.of(view.terms.kind).takes_bids,
                "ceremony": ceremony_page(ceremony) if ceremony is not None else None,
                "review": review,
                "offer_chain": await offer_chain_page(uow, principal, procurement_id),
                "rounds": chain_context(procurement_id, detail.chain),
                "publicity": result,
            },
        )
