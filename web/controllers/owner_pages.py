"""The owner's procurement pages (我的采购项目): the organisation's list with its drafts, the
form that creates and edits a draft, publication, amendments (变更公告), cancellation (终止)
and a draft's attachments.

Every act goes through :mod:`market.procurement.service` (and the attachment store) as the
API's do; a refusal shows the form again with what was typed and each problem beside its
field (:mod:`web.procurement_form`), never a JSON problem. Owner accounts only: a visitor
is sent to sign in (303), another role gets the 403 page, another organisation's draft is a
404 and its published procurement a 403 (the service's own rules).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market import policy
from market.errors import Conflict, InvalidInput, PermissionDenied
from market.models import Procurement
from market.principal import Principal
from market.problems import Problem, ProblemsFound
from market.procurement import attachment_store, listing, service
from market.procurement.draft_input import draft_from_input
from market.procurement.states import ProcurementStatus
from market.procurement.terms import procurement_terms_of
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.draw_views import declaration_of, publish_context
from web.errors import status_for
from web.owner_form_context import form_choices, kind_choices
from web.page_access import PAGE_EXCEPTION_HANDLERS, owner_pages_guard
from web.params import Id
from web.procurement_form import (
    NO_PROBLEMS,
    FormValues,
    PlacedProblems,
    form_of_terms,
    place,
    read_form,
    terms_input,
)
from web.procurement_page_views import summary_line

NEW_DRAFT = {"winners": "1", "alternates": "0"}


def _see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _version(form: FormValues) -> int | None:
    return _version_of(form.get("version").strip())


def _version_of(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


def _mode(row: Procurement | None) -> str:
    if row is None:
        return "new"
    if row.status is ProcurementStatus.DRAFT:
        return "draft"
    return "amend" if row.status is ProcurementStatus.PUBLISHED else "closed"


def _editable(principal: Principal, row: Procurement) -> Procurement:
    if not policy.may_edit_procurement(principal, row.owner_organisation_id):
        raise PermissionDenied("only the owner's organisation (业主) changes its procurement")
    return row


class OwnerPages(Controller):
    """HTML for an owner's accounts: draft, publish, amend and cancel procurements."""

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
        row: Procurement | None,
        form: FormValues,
        *,
        status: int = 200,
        problems: PlacedProblems = NO_PROBLEMS,
        **extra: Any,
    ) -> Template:
        terms = procurement_terms_of(app_state.settings)
        now = app_state.clock.now()
        calendar = await app_state.calendars.current(uow)
        mode = _mode(row)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "mode": mode,
            "row": row,
            "form": form,
            "problems": problems,
            "kinds": kind_choices(terms, calendar, now),
            "eligibility": None,
            "attachments": (),
            "cancel_problem": "",
            "conflict": "",
            "saved": False,
            **form_choices(app_state.vocabulary, terms),
        }
        if row is not None and mode == "draft":
            context["attachments"] = await listing.attachments_of(uow, row.id)
            try:
                stored = draft_from_input(row.terms)
            except ProblemsFound:  # a draft always reads back (draft_input); nothing to count if not
                stored = None
            if stored is not None:
                context["eligibility"] = await listing.eligibility_now(
                    uow, app_state.vocabulary, terms, stored, now
                )
        if row is not None and mode != "new":
            context["attachments"] = context["attachments"] or await listing.attachments_of(uow, row.id)
        context.update(publish_context(terms, row, extra.get("typed_draw")))
        context.update(extra)
        return Template(template_name="owner_procurement.html", context=context, status_code=status)

    async def _refused(
        self,
        uow: UoW,
        app_state: State,
        principal: Principal,
        row: Procurement | None,
        form: FormValues,
        exc: ProblemsFound | Conflict,
        **extra: Any,
    ) -> Template:
        """The form again: each problem beside its field (422), or the stale/wrong-state notice (409)."""
        if isinstance(exc, ProblemsFound):
            extra.update(status=422, problems=place(exc.problems))
        else:
            extra.update(status=409, conflict=exc.message)
        return await self._page(uow, app_state, principal, row, form, **extra)

    @get("/", summary="My organisation's procurements (我的采购项目)")
    async def my_list(
        self,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        status: FromQuery[str] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        try:
            wanted = ProcurementStatus(status) if status else None
        except ValueError:
            wanted = None
        number = int(page) if page.isdigit() and 1 <= int(page) <= listing.MAX_PAGE else 1
        result = await listing.of_organisation(uow, principal, status=wanted, page=number, per_page=50)
        return Template(
            template_name="my_procurements.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "result": result,
                "rows": [summary_line(app_state.vocabulary, s) for s in result.items],
                "statuses": [(s.value, s.label) for s in ProcurementStatus],
                "status": wanted.value if wanted else "",
            },
        )

    @get("/new", summary="New procurement form (新建采购项目)")
    async def new_form(self, uow: UoW, app_state: State, principal: CurrentPrincipal) -> Template:
        return await self._page(uow, app_state, principal, None, FormValues(dict(NEW_DRAFT)))

    @post("/new", summary="Create a draft (保存草稿)")
    async def create(
        self,
        request: Request[Any, Any, Any],
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        form = read_form(await request.form())
        raw = terms_input(form, procurement_terms_of(app_state.settings))
        try:
            row = await service.create_draft(uow, actor, principal, raw, app_state.clock.now())
        except ProblemsFound as refused:
            return await self._refused(uow, app_state, principal, None, form, refused)
        await uow.commit()
        return _see_other(f"/my/procurements/{row.id}/edit?saved=1")

    @get("/{procurement_id:int}/edit", summary="A procurement's form (编辑/变更)")
    async def edit_form(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        saved: FromQuery[str] = "",
    ) -> Template:
        row = _editable(principal, await service.load(uow, principal, procurement_id))
        return await self._page(uow, app_state, principal, row, form_of_terms(row.terms), saved=bool(saved))

    @post("/{procurement_id:int}/edit", summary="Save a draft (保存草稿)")
    async def save(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        form = read_form(await request.form())
        row = _editable(principal, await service.load(uow, principal, procurement_id))
        raw = terms_input(form, procurement_terms_of(app_state.settings), previous=row.terms)
        try:
            await service.update_draft(
                uow,
                actor,
                principal,
                procurement_id,
                raw,
                app_state.clock.now(),
                expected_version=_version(form),
            )
        except (ProblemsFound, Conflict) as refused:
            return await self._refused(uow, app_state, principal, row, form, refused)
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/edit?saved=1")

    @post("/{procurement_id:int}/publish", summary="Publish a draft (发布)")
    async def publish(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        form = read_form(posted)
        row = _editable(principal, await service.load(uow, principal, procurement_id))
        terms = procurement_terms_of(app_state.settings)
        now = app_state.clock.now()
        # the draw's declaration: the commitment the page made in the browser over the
        # reserved reference (the secret stays with the owner), and the beacon chosen
        draw_fields, beacon = declaration_of(posted)
        count = await listing.eligibility_now(
            uow, app_state.vocabulary, terms, service.stored_terms(row), now
        )
        try:
            await service.publish(
                uow,
                actor,
                principal,
                procurement_id,
                now,
                await app_state.calendars.current(uow),
                terms,
                vocabulary=app_state.vocabulary,
                eligible_count=count.for_publication,
                refusals=count.refusals,
                bid_key=app_state.bid_key(),
                expected_version=_version(form),
                owner_commitment=draw_fields["owner_commitment"] or None,
                beacon=beacon,
            )
        except ProblemsFound as refused:
            stored = form_of_terms(row.terms)
            return await self._refused(
                uow, app_state, principal, row, stored, refused, typed_draw=draw_fields
            )
        except Conflict as exc:
            return await self._refused(uow, app_state, principal, row, form_of_terms(row.terms), exc)
        await attachment_store.stamp_published(uow, procurement_id)
        await uow.commit()
        return _see_other(f"/procurements/{procurement_id}")

    @post("/{procurement_id:int}/amend", summary="Publish an amendment (变更公告)")
    async def amend(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        form = read_form(await request.form())
        row = _editable(principal, await service.load(uow, principal, procurement_id))
        terms = procurement_terms_of(app_state.settings)
        raw = terms_input(form, terms, previous=row.terms)
        try:
            await service.amend(
                uow,
                actor,
                principal,
                procurement_id,
                raw,
                app_state.clock.now(),
                await app_state.calendars.current(uow),
                terms,
                reason=form.get("reason"),
                vocabulary=app_state.vocabulary,
                expected_version=_version(form),
            )
        except (ProblemsFound, Conflict) as refused:
            return await self._refused(uow, app_state, principal, row, form, refused)
        except InvalidInput as exc:  # the reason, checked by the service on its own
            reason = ProblemsFound([Problem(exc.field or "reason", exc.message)])
            return await self._refused(uow, app_state, principal, row, form, reason)
        await uow.commit()
        return _see_other(f"/procurements/{procurement_id}#amendments")

    @post("/{procurement_id:int}/cancel", summary="Cancel a procurement (终止)")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        reason = str(posted.get("cancel_reason") or "")
        version = str(posted.get("version") or "")
        row = _editable(principal, await service.load(uow, principal, procurement_id))
        try:
            await service.cancel(
                uow,
                actor,
                principal,
                procurement_id,
                app_state.clock.now(),
                reason=reason,
                expected_version=_version_of(version),
            )
        except InvalidInput as exc:
            form = form_of_terms(row.terms)
            return await self._page(
                uow, app_state, principal, row, form,
                status=422, cancel_problem=exc.message, cancel_reason=reason,
            )  # fmt: skip
        except Conflict as exc:
            return await self._refused(uow, app_state, principal, row, form_of_terms(row.terms), exc)
        await uow.commit()
        return _see_other(f"/procurements/{procurement_id}")

    @post("/{procurement_id:int}/attachments", summary="Attach a file to a draft (上传附件)")
    async def attach(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        posted = await request.form()
        upload = posted.get("file")
        row = _editable(principal, await service.load(uow, principal, procurement_id))
        terms = procurement_terms_of(app_state.settings)
        try:
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise InvalidInput("choose a file", field="file")
            content = await upload.read()
            await attachment_store.add(
                uow,
                actor,
                principal,
                procurement_id,
                upload.filename,
                content,
                app_state.clock.now(),
                terms.attachments,
                declared_type=upload.content_type or "",
            )
        except (InvalidInput, Conflict) as exc:
            return await self._page(
                uow,
                app_state,
                principal,
                row,
                form_of_terms(row.terms),
                status=status_for(exc),
                file_problem=exc.message,
            )
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/edit#attachments")
