"""The registries over HTTP: the public directory, self-service applications, a firm's own
record, administrators' decisions, and eligibility for owners and supervisors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from msgspec import structs

from market.accounts import Principal
from market.errors import InvalidInput, PermissionDenied
from market.models import FirmStatus, MisconductSeverity, Role
from market.registry import admission, credit, directory, firms
from market.registry.eligibility import CHINA, eligible_firms, explain, local_day, requirements_from
from market.registry.records import parse_date
from web.auth import PUBLIC, requires
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW, client_address
from web.registry_schemas import (
    ApplicationBody,
    CreditAdjustment,
    DecisionBody,
    EligibilityBody,
    LicenceBody,
    LicenceReview,
    MisconductBody,
    ProfileUpdate,
    ResubmitBody,
    TrackRecordBody,
)

admin_only = requires(Role.ADMIN)
officials = requires(Role.ADMIN, Role.SUPERVISOR)
firm_users = requires(Role.CONTRACTOR, Role.INTERMEDIARY, Role.ADMIN)
buyers = requires(Role.OWNER, Role.ADMIN, Role.SUPERVISOR)
anyone_signed_in = requires()

DECISIONS = {
    "admit": FirmStatus.ADMITTED,
    "return": FirmStatus.RETURNED,
    "reject": FirmStatus.REJECTED,
    "suspend": FirmStatus.SUSPENDED,
    "reinstate": FirmStatus.ADMITTED,
    "remove": FirmStatus.REMOVED,
}


def _principal(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def _audience(principal: Principal | None, firm_id: int) -> directory.Audience:
    if principal is None:
        return directory.Audience.PUBLIC
    roles = frozenset(r.value for r in principal.roles)
    return directory.audience_of(roles, principal.organisation_id, firm_id, True)


def _china_time(value: datetime | None) -> datetime | None:
    """Times typed without a zone are China time, as the pages show them."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=CHINA)
    return value


def _own_or_official(principal: Principal, firm_id: int) -> None:
    if principal.has_any((Role.ADMIN, Role.SUPERVISOR)):
        return
    if principal.organisation_id != firm_id:
        raise PermissionDenied("you may only see your own firm's details", firm_id=firm_id)


class RegistryController(Controller):
    path = "/api"
    tags = ["registry"]

    # -- public ---------------------------------------------------------------------------
    @get(
        "/registry/vocabulary", summary="Fields of work, service types, licence types, divisions", opt=PUBLIC
    )
    async def vocabulary(self, app_state: State) -> dict[str, Any]:
        return app_state.vocabulary.as_dict()

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
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        principal = _principal(request)
        audience = directory.Audience.PUBLIC
        if principal is not None and principal.has_any((Role.ADMIN, Role.SUPERVISOR)):
            audience = directory.Audience.OFFICIAL
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
            audience=audience,
        )
        result = await directory.search(uow, query, now=app_state.clock.now())
        return {
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "pages": result.pages,
            "items": [
                {
                    "id": f.id,
                    "kind": f.kind.value,
                    "name": f.name,
                    "uscc": f.uscc,
                    "division_code": f.division_code,
                    "work_fields": f.work_fields,
                    "service_types": f.service_types,
                    "status": f.status.value,
                    "credit_score": str(f.credit_score),
                }
                for f in result.items
            ],
        }

    @get("/firms/{firm_id:int}", summary="One firm's record (what you may see of it)", opt=PUBLIC)
    async def firm(
        self, request: Request[Any, Any, Any], firm_id: FromPath[int], uow: UoW, app_state: State
    ) -> dict[str, Any]:
        return await directory.firm_record(
            uow,
            app_state.vocabulary,
            firm_id,
            audience=_audience(_principal(request), firm_id),
            now=app_state.clock.now(),
        )

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
    ) -> dict[str, Any]:
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
        return {
            "firm_id": registration.firm.id,
            "status": registration.firm.status.value,
            "username": registration.user.username,
        }

    # -- the firm itself --------------------------------------------------------------------
    @patch("/firms/{firm_id:int}", summary="Change your firm's profile", guards=[firm_users])
    async def update(
        self,
        firm_id: FromPath[int],
        data: JSONBody[ProfileUpdate],
        uow: UoW,
        principal: CurrentPrincipal,
        request: Request[Any, Any, Any],
        app_state: State,
    ) -> dict[str, Any]:
        await firms.update_profile(
            uow,
            principal,
            firm_id,
            data.changes(),
            expected_version=data.version,
            vocabulary=app_state.vocabulary,
        )
        await uow.commit()
        return await self._record(uow, app_state, principal, firm_id)

    async def _record(self, uow: Any, app_state: Any, principal: Principal, firm_id: int) -> dict[str, Any]:
        return await directory.firm_record(
            uow,
            app_state.vocabulary,
            firm_id,
            audience=_audience(principal, firm_id),
            now=app_state.clock.now(),
        )

    @post(
        "/firms/{firm_id:int}/licences",
        summary="Submit a licence or a change to one (goes to review)",
        guards=[firm_users],
        status_code=201,
    )
    async def submit_licence(
        self,
        firm_id: FromPath[int],
        data: JSONBody[LicenceBody],
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> dict[str, Any]:
        licence = await firms.submit_licence(
            uow, principal, firm_id, data.raw(), replaces=data.replaces, vocabulary=app_state.vocabulary
        )
        await uow.commit()
        return {"licence_id": licence.id, "status": licence.status.value}

    @delete(
        "/firms/{firm_id:int}/licences/{licence_id:int}",
        summary="Withdraw a licence",
        guards=[firm_users],
        status_code=200,
    )
    async def withdraw_licence(
        self, firm_id: FromPath[int], licence_id: FromPath[int], uow: UoW, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        licence = await firms.withdraw_licence(uow, principal, firm_id, licence_id)
        await uow.commit()
        return {"licence_id": licence.id, "status": licence.status.value}

    @post(
        "/firms/{firm_id:int}/track-records",
        summary="Add a track record (业绩)",
        guards=[firm_users],
        status_code=201,
    )
    async def add_track_record(
        self,
        firm_id: FromPath[int],
        data: JSONBody[TrackRecordBody],
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> dict[str, Any]:
        row = await firms.add_track_record(
            uow,
            principal,
            firm_id,
            structs.asdict(data),
            today=local_day(app_state.clock.now()),
            vocabulary=app_state.vocabulary,
        )
        await uow.commit()
        return {"track_record_id": row.id}

    @delete(
        "/firms/{firm_id:int}/track-records/{record_id:int}",
        summary="Remove a track record",
        guards=[firm_users],
        status_code=200,
    )
    async def remove_track_record(
        self, firm_id: FromPath[int], record_id: FromPath[int], uow: UoW, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        await firms.remove_track_record(uow, principal, firm_id, record_id)
        await uow.commit()
        return {"removed": record_id}

    @post(
        "/firms/{firm_id:int}/resubmit",
        summary="Send a returned or rejected application again",
        guards=[firm_users],
        status_code=200,
    )
    async def resubmit(
        self,
        firm_id: FromPath[int],
        data: JSONBody[ResubmitBody],
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> dict[str, Any]:
        firms.ensure_may_edit(principal, firm_id)
        firm = await firms.resubmit(uow, principal.actor, firm_id, now=app_state.clock.now(), note=data.note)
        await uow.commit()
        return {"firm_id": firm.id, "status": firm.status.value}

    @get(
        "/firms/{firm_id:int}/credit",
        summary="The credit score and every event behind it",
        guards=[anyone_signed_in],
    )
    async def credit_statement(
        self, firm_id: FromPath[int], uow: UoW, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        _own_or_official(principal, firm_id)
        return (await credit.statement(uow, firm_id)).as_dict()

    @get(
        "/firms/{firm_id:int}/licences/expiring",
        summary="This firm's licences expiring soon",
        guards=[anyone_signed_in],
    )
    async def own_expiring(
        self,
        firm_id: FromPath[int],
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
        days: Annotated[int, Parameter(ge=1, le=366)] = 30,
    ) -> list[dict[str, Any]]:
        _own_or_official(principal, firm_id)
        today = local_day(app_state.clock.now())
        return [
            _expiring(e) for e in await firms.expiring_licences(uow, today=today, days=days, firm_id=firm_id)
        ]

    # -- administrators ---------------------------------------------------------------------
    @get(
        "/registry/licences/expiring",
        summary="Licences expiring in the next days (all firms)",
        guards=[officials],
    )
    async def expiring(
        self, uow: UoW, app_state: State, days: Annotated[int, Parameter(ge=1, le=366)] = 30
    ) -> list[dict[str, Any]]:
        today = local_day(app_state.clock.now())
        return [_expiring(e) for e in await firms.expiring_licences(uow, today=today, days=days)]

    @get("/registry/licences/pending", summary="Licences waiting for review (审核队列)", guards=[admin_only])
    async def pending(self, uow: UoW) -> list[dict[str, Any]]:
        return [
            {
                "licence_id": lic.id,
                "firm_id": lic.firm_id,
                "firm_name": name,
                "firm_status": status.value,
                "licence_type": lic.licence_type,
                "grade": lic.grade,
                "number": lic.number,
                "valid_until": lic.valid_until.isoformat(),
                "replaces_id": lic.replaces_id,
                "submitted_at": lic.created_at.isoformat(),
            }
            for lic, name, status in await firms.pending_licences(uow)
        ]

    @post(
        "/firms/{firm_id:int}/decisions",
        summary="Admit, return, reject, suspend, reinstate or remove a firm (with reason)",
        guards=[admin_only],
        status_code=200,
    )
    async def decide(
        self,
        firm_id: FromPath[int],
        data: JSONBody[DecisionBody],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> dict[str, Any]:
        firm = await admission.load_firm(uow, firm_id, for_update=True)
        now = app_state.clock.now()
        if data.decision == "reinstate" and admission.effective_status(firm, now) is not FirmStatus.SUSPENDED:
            raise InvalidInput("only a suspended firm can be reinstated", field="decision")
        await admission.change_status(
            uow,
            actor,
            firm,
            DECISIONS[data.decision],
            reason=data.reason,
            now=now,
            until=_china_time(data.until),
            expected_version=data.version,
        )
        await uow.commit()
        return {"firm_id": firm.id, "status": firm.status.value, "version": firm.version}

    @post(
        "/licences/{licence_id:int}/review",
        summary="Approve or reject a submitted licence",
        guards=[admin_only],
        status_code=200,
    )
    async def review_licence(
        self,
        licence_id: FromPath[int],
        data: JSONBody[LicenceReview],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> dict[str, Any]:
        licence = await firms.review_licence(
            uow, actor, licence_id, approve=data.approve, reason=data.reason, now=app_state.clock.now()
        )
        await uow.commit()
        return {"licence_id": licence.id, "status": licence.status.value}

    @post(
        "/firms/{firm_id:int}/misconduct",
        summary="Record misconduct (不良行为记录)",
        guards=[officials],
        status_code=201,
    )
    async def misconduct(
        self,
        firm_id: FromPath[int],
        data: JSONBody[MisconductBody],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> dict[str, Any]:
        record = await credit.record_misconduct(
            uow,
            actor,
            firm_id,
            severity=MisconductSeverity(data.severity),
            description=data.description,
            occurred_on=parse_date(data.occurred_on, "occurred_on"),
            reference=data.reference,
            now=app_state.clock.now(),
            policy=app_state.vocabulary.credit,
        )
        await uow.commit()
        return {
            "misconduct_id": record.id,
            "deduction": str(record.deduction),
            "suspended_until": record.suspended_until.isoformat() if record.suspended_until else None,
        }

    @post(
        "/firms/{firm_id:int}/credit/adjustments",
        summary="Correct a credit score (with reason)",
        guards=[admin_only],
        status_code=201,
    )
    async def adjust_credit(
        self,
        firm_id: FromPath[int],
        data: JSONBody[CreditAdjustment],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> dict[str, Any]:
        try:
            delta = Decimal(data.delta)
        except InvalidOperation:
            raise InvalidInput(f"{data.delta!r} is not a number of points", field="delta") from None
        event = await credit.adjust(
            uow, actor, firm_id, delta=delta, reason=data.reason, now=app_state.clock.now()
        )
        await uow.commit()
        return {"event_id": event.id, "score_after": str(event.score_after)}

    # -- eligibility ------------------------------------------------------------------------
    @post(
        "/registry/eligibility",
        summary="The firms eligible for given requirements",
        guards=[buyers],
        status_code=200,
    )
    async def eligible(self, data: JSONBody[EligibilityBody], uow: UoW, app_state: State) -> dict[str, Any]:
        requirements = requirements_from(app_state.vocabulary, data.requirements)
        at = _china_time(data.at) or app_state.clock.now()
        found = await eligible_firms(uow, app_state.vocabulary, requirements, at)
        return {
            "requirements": requirements.as_dict(),
            "at": at.isoformat(),
            "count": len(found),
            "firms": [
                {
                    "id": f.firm_id,
                    "uscc": f.uscc,
                    "name": f.name,
                    "credit_score": str(f.credit_score),
                    "division_code": f.division_code,
                }
                for f in found
            ],
        }

    @post(
        "/registry/eligibility/{firm_id:int}",
        summary="Why one firm is or is not eligible",
        guards=[anyone_signed_in],
        status_code=200,
    )
    async def explain_one(
        self,
        firm_id: FromPath[int],
        data: JSONBody[EligibilityBody],
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> dict[str, Any]:
        if not principal.has_any((Role.OWNER, Role.ADMIN, Role.SUPERVISOR)):
            _own_or_official(principal, firm_id)
        requirements = requirements_from(app_state.vocabulary, data.requirements)
        at = _china_time(data.at) or app_state.clock.now()
        return (await explain(uow, app_state.vocabulary, requirements, firm_id, at)).as_dict()


def _expiring(e: firms.ExpiringLicence) -> dict[str, Any]:
    return {
        "licence_id": e.licence_id,
        "firm_id": e.firm_id,
        "firm_name": e.firm_name,
        "licence_type": e.licence_type,
        "grade": e.grade,
        "number": e.number,
        "valid_until": e.valid_until.isoformat(),
        "days_left": e.days_left,
    }


__all__ = ["RegistryController"]
