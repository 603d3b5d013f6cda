"""The registries' administration over HTTP: admission decisions, licence review,
misconduct and credit corrections, the expiring-licence list, and eligibility for owners
and supervisors."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from market.clock import local_day, user_time
from market.models import MisconductSeverity, Role
from market.registry import admission, credit, directory, licences
from market.registry.eligibility import eligible_firms, explain_to, requirements_from
from market.registry.records import parse_date
from web.auth import requires
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import DaysAhead, Id, Limit, Offset
from web.registry_results import (
    CreditAdjusted,
    DecisionView,
    EligibilityView,
    EligibleFirmView,
    ExplanationView,
    LicenceStatusView,
    MisconductRecorded,
    RequirementsView,
)
from web.registry_schemas import (
    CreditAdjustment,
    DecisionBody,
    EligibilityBody,
    LicenceReview,
    MisconductBody,
)
from web.registry_views import ExpiringLicences, PendingLicences

admin_only = requires(Role.ADMIN)
officials = requires(Role.ADMIN, Role.SUPERVISOR)
buyers = requires(Role.OWNER, Role.ADMIN, Role.SUPERVISOR)
anyone_signed_in = requires()



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
        days: DaysAhead = 30,
        limit: Limit = 500,
        offset: Offset = 0,
    ) -> ExpiringLicences:
        today = local_day(app_state.clock.now())
        found = await licences.expiring_licences(uow, today=today, days=days, limit=limit, offset=offset)
        return ExpiringLicences.of(found)

    @get("/registry/licences/pending", summary="Licences waiting for review (审核队列)", guards=[admin_only])
    async def pending(self, uow: UoW, limit: Limit = 200, offset: Offset = 0) -> PendingLicences:
        return PendingLicences.of(await licences.pending_licences(uow, limit=limit, offset=offset))

    @post(
        "/firms/{firm_id:int}/decisions",
        summary="Admit, return, reject, suspend, reinstate or remove a firm (with reason)",
        guards=[admin_only],
        status_code=200,
    )
    async def decide(
        self,
        firm_id: Id,
        data: JSONBody[DecisionBody],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> DecisionView:
        firm = await admission.decide(
            uow,
            actor,
            firm_id,
            data.decision,
            reason=data.reason,
            now=app_state.clock.now(),
            until=user_time(data.until, "until"),
            expected_version=data.version,
        )
        await uow.commit()
        return DecisionView.of(firm)

    @post(
        "/licences/{licence_id:int}/review",
        summary="Approve or reject a submitted licence",
        guards=[admin_only],
        status_code=200,
    )
    async def review_licence(
        self,
        licence_id: Id,
        data: JSONBody[LicenceReview],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> LicenceStatusView:
        licence = await licences.review_licence(
            uow, actor, licence_id, approve=data.approve, reason=data.reason, now=app_state.clock.now()
        )
        await uow.commit()
        return LicenceStatusView.of(licence)

    @post(
        "/firms/{firm_id:int}/misconduct",
        summary="Record misconduct (不良行为记录)",
        guards=[officials],
        status_code=201,
    )
    async def misconduct(
        self,
        firm_id: Id,
        data: JSONBody[MisconductBody],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> MisconductRecorded:
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
        return MisconductRecorded.of(record)

    @post(
        "/firms/{firm_id:int}/credit/adjustments",
        summary="Correct a credit score (with reason)",
        guards=[admin_only],
        status_code=201,
    )
    async def adjust_credit(
        self,
        firm_id: Id,
        data: JSONBody[CreditAdjustment],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> CreditAdjusted:
        delta = credit.parse_points(data.delta)
        event = await credit.adjust(
            uow, actor, firm_id, delta=delta, reason=data.reason, now=app_state.clock.now()
        )
        await uow.commit()
        return CreditAdjusted.of(event)

    # -- eligibility ------------------------------------------------------------------------
    @post(
        "/registry/eligibility",
        summary="The firms eligible for given requirements",
        guards=[buyers],
        status_code=200,
    )
    async def eligible(self, data: JSONBody[EligibilityBody], uow: UoW, app_state: State) -> EligibilityView:
        requirements = requirements_from(app_state.vocabulary, data.requirements)
        at = user_time(data.at, "at") or app_state.clock.now()
        found = await eligible_firms(uow, app_state.vocabulary, requirements, at)
        names = await directory.names_of(uow, found.firm_ids)
        return EligibilityView(
            RequirementsView.of(requirements),
            at,
            len(found),
            [EligibleFirmView.of(f, names[f.firm_id]) for f in found],
        )

    @post(
        "/registry/eligibility/{firm_id:int}",
        summary="Why one firm is or is not eligible",
        guards=[anyone_signed_in],
        status_code=200,
    )
    async def explain_one(
        self,
        firm_id: Id,
        data: JSONBody[EligibilityBody],
        uow: UoW,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ExplanationView:
        requirements = requirements_from(app_state.vocabulary, data.requirements)
        at = user_time(data.at, "at") or app_state.clock.now()
        explanation = await explain_to(uow, principal, app_state.vocabulary, requirements, firm_id, at)
        return ExplanationView.of(explanation)
