"""The registries over HTTP for everyone and for the firms themselves: the vocabulary, the
directory and one firm's record (what the reader may see), self-service applications, and
a firm's own profile, licences, track records, resubmission, credit statement and expiring
licences. Administrators' decisions, licence review, misconduct, credit corrections and
eligibility are in :mod:`web.controllers.registry_admin`; the HTML pages in
:mod:`web.controllers.registry_pages`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromQuery, JSONBody
from msgspec import structs

from market.clock import local_day
from market.models import Role
from market.principal import Principal
from market.registry import credit, directory, firms, licences
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW, client_address
from web.params import DaysAhead, Id, Page, PerPage
from web.registry_results import (
    ApplicationView,
    FirmStatusView,
    LicenceStatusView,
    TrackRecordAdded,
    TrackRecordRemoved,
)
from web.registry_schemas import (
    ApplicationBody,
    LicenceBody,
    ProfileUpdate,
    ResubmitBody,
    TrackRecordBody,
)
from web.registry_views import (
    CreditStatementView,
    DirectoryView,
    ExpiringLicences,
    FirmRecordView,
    VocabularyView,
)

officials = requires(Role.ADMIN, Role.SUPERVISOR)
firm_users = requires(Role.CONTRACTOR, Role.INTERMEDIARY, Role.ADMIN)
anyone_signed_in = requires()


class RegistryController(Controller):
    path = "/api"
    tags = ["registry"]

    # -- public ---------------------------------------------------------------------------
    @get(
        "/registry/vocabulary", summary="Fields of work, service types, licence types, divisions", opt=PUBLIC
    )
    async def vocabulary(self, app_state: State) -> VocabularyView:
        return VocabularyView.of(app_state.vocabulary)

    @get(
        "/firms",
        summary="Search the registries (名录查询)",
        description="Filters: kind, q (name or USCC), division, work_field, service_type, licence_type, "
        "min_credit, status (officials only for unpublished statuses); sort: name, credit, -credit, "
        "admitted, applied, id; page and per_page (≤100).",
        opt=PUBLIC,
    )
    async def search(
        self,
        request: Request[Any, Any, Any],
        uow: UoW,
        app_state: State,
        kind: FromQuery[str | None] = None,
        q: FromQuery[str] = "",
        division: FromQuery[str | None] = None,
        work_field: FromQuery[str | None] = None,
        service_type: FromQuery[str | None] = None,
        licence_type: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        min_credit: FromQuery[str | None] = None,
        sort: FromQuery[str] = "name",
        page: Page = 1,
        per_page: PerPage = 20,
    ) -> DirectoryView:
        query = directory.directory_query(
            app_state.vocabulary,
            kind=kind,
            text=q,
            division=division,
            work_field=work_field,
            service_type=service_type,
            licence_type=licence_type,
            status=status,
            min_credit=min_credit,
            sort=sort,
            page=page,
            per_page=per_page,
            reader=signed_in_principal(request),
        )
        return DirectoryView.of(await directory.search(uow, query, now=app_state.clock.now()))

    @get("/firms/{firm_id:int}", summary="One firm's record (what you may see of it)", opt=PUBLIC)
    async def firm(
        self, request: Request[Any, Any, Any], firm_id: Id, uow: UoW, app_state: State
    ) -> FirmRecordView:
        record = await directory.firm_record(
            uow,
            app_state.vocabulary,
            firm_id,
            reader=signed_in_principal(request),
            now=app_state.clock.now(),
        )
        return FirmRecordView.of(record)

    @post(
        "/registry/applications",
        summary="Apply to a registry and open the firm's account (入库申请)",
        description="Creates the firm (status applied, licences pending review) and its first user. "
        "Every problem of the record is listed in `problems`; nothing is written on any error.",
        opt=PUBLIC,
        status_code=201,
    )
    async def apply(
        self, request: Request[Any, Any, Any], data: JSONBody[ApplicationBody], uow: UoW, app_state: State
    ) -> ApplicationView:
        registration = await firms.register(
            uow,
            data.firm.raw(),
            username=data.account.username,
            display_name=data.account.display_name,
            password=data.account.password,
            address=client_address(request),
            now=app_state.clock.now(),
            vocabulary=app_state.vocabulary,
            auth=app_state.settings.auth,
        )
        await uow.commit()
        return ApplicationView(registration.firm.id, registration.firm.status, registration.user.username)

    # -- the firm itself --------------------------------------------------------------------
    @patch("/firms/{firm_id:int}", summary="Change your firm's profile", guards=[firm_users])
    async def update(
        self,
        firm_id: Id,
        data: JSONBody[ProfileUpdate],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> FirmRecordView:
        await firms.update_profile(
            uow,
            actor,
            principal,
            firm_id,
            data.changes(),
            expected_version=data.version,
            vocabulary=app_state.vocabulary,
            now=app_state.clock.now(),
        )
        await uow.commit()
        return await self._record(uow, app_state, principal, firm_id)

    async def _record(self, uow: Any, app_state: Any, principal: Principal, firm_id: int) -> FirmRecordView:
        record = await directory.firm_record(
            uow,
            app_state.vocabulary,
            firm_id,
            reader=principal,
            now=app_state.clock.now(),
        )
        return FirmRecordView.of(record)

    @post(
        "/firms/{firm_id:int}/licences",
        summary="Submit a licence or a change to one (goes to review)",
        guards=[firm_users],
        status_code=201,
    )
    async def submit_licence(
        self,
        firm_id: Id,
        data: JSONBody[LicenceBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> LicenceStatusView:
        licence = await licences.submit_licence(
            uow,
            actor,
            principal,
            firm_id,
            data.raw(),
            replaces=data.replaces,
            vocabulary=app_state.vocabulary,
        )
        await uow.commit()
        return LicenceStatusView.of(licence)

    @delete(
        "/firms/{firm_id:int}/licences/{licence_id:int}",
        summary="Withdraw a licence",
        guards=[firm_users],
        status_code=200,
    )
    async def withdraw_licence(
        self,
        firm_id: Id,
        licence_id: Id,
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
    ) -> LicenceStatusView:
        licence = await licences.withdraw_licence(uow, actor, principal, firm_id, licence_id)
        await uow.commit()
        return LicenceStatusView.of(licence)

    @post(
        "/firms/{firm_id:int}/track-records",
        summary="Add a track record (业绩)",
        guards=[firm_users],
        status_code=201,
    )
    async def add_track_record(
        self,
        firm_id: Id,
        data: JSONBody[TrackRecordBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> TrackRecordAdded:
        row = await firms.add_track_record(
            uow,
            actor,
            principal,
            firm_id,
            structs.asdict(data),
            today=local_day(app_state.clock.now()),
            vocabulary=app_state.vocabulary,
        )
        await uow.commit()
        return TrackRecordAdded(row.id)

    @delete(
        "/firms/{firm_id:int}/track-records/{record_id:int}",
        summary="Remove a track record",
        guards=[firm_users],
        status_code=200,
    )
    async def remove_track_record(
        self,
        firm_id: Id,
        record_id: Id,
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
    ) -> TrackRecordRemoved:
        await firms.remove_track_record(uow, actor, principal, firm_id, record_id)
        await uow.commit()
        return TrackRecordRemoved(record_id)

    @post(
        "/firms/{firm_id:int}/resubmit",
        summary="Send a returned or rejected application again",
        guards=[firm_users],
        status_code=200,
    )
    async def resubmit(
        self,
        firm_id: Id,
        data: JSONBody[ResubmitBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> FirmStatusView:
        firm = await firms.resubmit(uow, actor, principal, firm_id, now=app_state.clock.now(), note=data.note)
        await uow.commit()
        return FirmStatusView.of(firm)

    @get(
        "/firms/{firm_id:int}/credit",
        summary="The credit score and every event behind it",
        guards=[anyone_signed_in],
    )
    async def credit_statement(
        self, firm_id: Id, uow: UoW, principal: CurrentPrincipal
    ) -> CreditStatementView:
        return CreditStatementView.of(await credit.statement(uow, principal, firm_id))

    @get(
        "/firms/{firm_id:int}/licences/expiring",
        summary="This firm's licences expiring soon",
        guards=[anyone_signed_in],
    )
    async def own_expiring(
        self,
        firm_id: Id,
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
        days: DaysAhead = 30,
    ) -> ExpiringLicences:
        today = local_day(app_state.clock.now())
        found = await licences.expiring_for_firm(uow, principal, firm_id, today=today, days=days)
        return ExpiringLicences.of(found)


__all__ = ["RegistryController"]
