"""The registries' administration over HTTP: admission decisions, licence review,
misconduct and credit corrections, the expiring-licence list, and eligibility for owners
and supervisors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, Parameter

from market.errors import InvalidInput
from market.models import FirmStatus, Licence, MisconductSeverity, Role
from market.registry import admission, credit, directory, licences
from market.registry.eligibility import CHINA, eligible_firms, explain_to, local_day, requirements_from
from market.registry.records import parse_date
from web.auth import requires
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.registry_schemas import (
    CreditAdjustment,
    DecisionBody,
    EligibilityBody,
    LicenceReview,
    MisconductBody,
)
from web.registry_views import expiring_view, listing_view

admin_only = requires(Role.ADMIN)
officials = requires(Role.ADMIN, Role.SUPERVISOR)
buyers = requires(Role.OWNER, Role.ADMIN, Role.SUPERVISOR)
anyone_signed_in = requires()

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _china_time(value: datetime | None, field: str) -> datetime | None:
    """Times typed without a zone are China time, as the pages show them; a time outside
    2000–2200 is a typing error (and the calendar arithmetic would overflow)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    try:
        in_range = EARLIEST <= value.astimezone(UTC) <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise InvalidInput(f"{field} must be between the years 2000 and 2200", field=field)
    return value


Limit = Annotated[int, Parameter(ge=1, le=1000, description="rows per page")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="rows to skip")]


def _pending_view(row: tuple[Licence, str, FirmStatus]) -> dict[str, Any]:
    lic, name, status = row
    return {
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


class RegistryAdministration(Controller):
    path = "/api"
    tags = ["registry"]

    # -- administrators ---------------------------------------------------------------------
    @get(
        "/registry/licences/expiring",
        summary="Licences expiring in the next days (all firms)",
        guards=[officials],
    )
    async def expiring(
        self,
        uow: UoW,
        app_state: State,
        days: Annotated[int, Parameter(ge=1, le=366)] = 30,
        limit: Limit = 500,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        today = local_day(app_state.clock.now())
        found = await licences.expiring_licences(uow, today=today, days=days, limit=limit, offset=offset)
        return listing_view(found, expiring_view)

    @get("/registry/licences/pending", summary="Licences waiting for review (审核队列)", guards=[admin_only])
    async def pending(self, uow: UoW, limit: Limit = 200, offset: Offset = 0) -> dict[str, Any]:
        found = await licences.pending_licences(uow, limit=limit, offset=offset)
        return listing_view(found, _pending_view)

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
        firm = await admission.decide(
            uow,
            actor,
            firm_id,
            data.decision,
            reason=data.reason,
            now=app_state.clock.now(),
            until=_china_time(data.until, "until"),
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
        licence = await licences.review_licence(
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
        at = _china_time(data.at, "at") or app_state.clock.now()
        found = await eligible_firms(uow, app_state.vocabulary, requirements, at)
        names = await directory.names_of(uow, found.firm_ids)
        return {
            "requirements": requirements.as_dict(),
            "at": at.isoformat(),
            "count": len(found),
            "firms": [
                {
                    "id": f.firm_id,
                    "uscc": f.uscc,
                    "name": names[f.firm_id],
                    "credit_score": str(f.credit_score),
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
        requirements = requirements_from(app_state.vocabulary, data.requirements)
        at = _china_time(data.at, "at") or app_state.clock.now()
        explanation = await explain_to(uow, principal, app_state.vocabulary, requirements, firm_id, at)
        return explanation.as_dict()
