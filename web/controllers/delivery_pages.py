"""The delivery and acceptance pages (issue 13): the awarded firm's upload of its result
(成果文件) or completion report (竣工) at ``/my/awards/{award_id}/delivery`` (the award list
``/my/awards`` links here), and the owner's acceptance and evaluation page
``/my/procurements/{id}/acceptance`` (验收与评价).

Every act is :mod:`market.award.delivery`'s or :mod:`market.award.evaluation`'s, as the
API's; a refusal shows the page again with the problem beside the form and what was typed,
nothing written. Another firm's award and another owner's procurement are the services' 404
and 403.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market import policy
from market.award import delivery, delivery_rules, evaluation, evaluation_rules
from market.award.records import current_award
from market.errors import MarketError, NotFound, PermissionDenied
from market.models import Organisation
from market.principal import Principal
from market.procurement import service
from market.procurement.states import ProcurementStatus
from market.procurement.terms import procurement_terms_of
from web.delivery_views import firm_pages_guard, lodged, refusal_of, text_of
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.page_access import PAGE_EXCEPTION_HANDLERS, owner_pages_guard, tried
from web.params import Id
from web.procurement_page_views import china_time, yuan


def _see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


async def _firm_name(uow: Any, firm_id: int) -> str:
    organisation = await uow.session.get(Organisation, firm_id)
    return organisation.name if organisation is not None else ""


class FirmDeliveryPages(Controller):
    """The awarded firm's delivery page (交付成果)."""

    path = "/my/awards/{award_id:int}/delivery"
    tags = ["delivery"]
    include_in_schema = False
    guards = [firm_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        award_id: int,
        *,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        award, row = await delivery.award_of_firm(uow, principal, award_id)
        current = await current_award(uow, row.id)
        lines = (
            await delivery.deliveries(uow, principal, row.id) if current and current.id == award.id else []
        )
        terms = procurement_terms_of(app_state.settings)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "row": row,
            "award": award,
            "amount": yuan(award.amount),
            "works": row.kind == "small_works",
            "open": row.status is ProcurementStatus.CONTRACTED
            and current is not None
            and current.id == award.id,
            "due_at": china_time(await delivery.contract_term_end(uow, award.id)),
            "lines": lines,
            "china_time": china_time,
            "note_most": delivery_rules.NOTE,
            "types": ", ".join(t.extension.upper() for t in terms.attachments.types),
            "max_mb": terms.attachments.max_bytes // (1024 * 1024),
            "refusal": None,
            "sent": False,
            **extra,
        }
        return Template(template_name="delivery/upload.html", context=context, status_code=status)

    @get("/", summary="Deliver the result (交付成果)")
    async def upload_page(
        self,
        award_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        sent: FromQuery[bool] = False,
    ) -> Template:
        return await self._page(uow, app_state, principal, award_id, sent=sent)

    @post("/", summary="Deliver the result (交付成果)")
    async def deliver(
        self,
        request: Request[Any, Any, Any],
        award_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        _, row = await delivery.award_of_firm(uow, principal, award_id)
        posted = await request.form()
        terms = procurement_terms_of(app_state.settings)
        note = text_of(posted.get("note"), delivery_rules.NOTE)
        try:
            files = await lodged(posted.getall("files", []), terms.attachments)
            await delivery.deliver(
                uow, actor, principal, row.id, note=note, files=files, now=app_state.clock.now(), terms=terms
            )
        except (NotFound, PermissionDenied):
            raise
        except MarketError as exc:
            await uow.rollback()
            return await self._page(
                uow, app_state, principal, award_id, status=status_for(exc),
                refusal=refusal_of(exc, "deliver", {"note": note}),
            )  # fmt: skip
        await uow.commit()
        return _see_other(f"/my/awards/{award_id}/delivery?sent=true")


class AcceptancePages(Controller):
    """The owner's acceptance and evaluation page (验收与评价)."""

    path = "/my/procurements/{procurement_id:int}/acceptance"
    tags = ["delivery"]
    include_in_schema = False
    guards = [owner_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        procurement_id: int,
        *,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        row = await service.load(uow, principal, procurement_id)
        if not policy.acts_for_owner(principal, row.owner_organisation_id):
            raise PermissionDenied(
                "only the owner's organisation (业主) accepts and evaluates its procurement"
            )
        terms = procurement_terms_of(app_state.settings)
        award = await current_award(uow, row.id)
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "row": row,
            "award": award,
            "amount": yuan(award.amount) if award else "",
            "firm_name": await _firm_name(uow, award.firm_id) if award else "",
            "lines": await delivery.deliveries(uow, principal, row.id) if award else [],
            "evaluation": await evaluation.evaluation_of(uow, principal, row.id, terms) if award else None,
            "criteria": terms.after.criteria,
            "evaluable": row.status is ProcurementStatus.ACCEPTED,
            "deciding": row.status is ProcurementStatus.DELIVERED,
            "china_time": china_time,
            "reason_most": delivery_rules.RETURN_REASON,
            "comment_most": evaluation_rules.COMMENT,
            "refusal": None,
            "done": "",
            **extra,
        }
        return Template(template_name="delivery/acceptance.html", context=context, status_code=status)

    @get("/", summary="Acceptance and evaluation (验收与评价)")
    async def acceptance_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        done: FromQuery[str] = "",
    ) -> Template:
        shown = done if done in ("accepted", "returned", "evaluated") else ""
        return await self._page(uow, app_state, principal, procurement_id, done=shown)

    async def _acted(
        self, uow: Any, app_state: Any, principal: Principal, procurement_id: int, act: Any, where: str,
        typed: dict[str, str], done: str,
    ) -> Template | Redirect:  # fmt: skip
        _, exc = await tried(act)
        if exc is not None:
            await uow.rollback()
            return await self._page(
                uow, app_state, principal, procurement_id, status=status_for(exc),
                refusal=refusal_of(exc, where, typed),
            )  # fmt: skip
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/acceptance?done={done}")

    @post("/{delivery_id:int}/accept", summary="Accept a delivery (验收通过)")
    async def accept(
        self, procurement_id: Id, delivery_id: Id, uow: UoW, app_state: State, principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:  # fmt: skip
        terms = procurement_terms_of(app_state.settings)
        act = delivery.accept(uow, actor, principal, delivery_id, now=app_state.clock.now(), terms=terms)
        return await self._acted(
            uow, app_state, principal, procurement_id, act, f"delivery-{delivery_id}", {}, "accepted"
        )

    @post("/{delivery_id:int}/return", summary="Return a delivery (退回)")
    async def return_it(
        self, request: Request[Any, Any, Any], procurement_id: Id, delivery_id: Id, uow: UoW,
        app_state: State, principal: CurrentPrincipal, actor: CurrentActor,
    ) -> Template | Redirect:  # fmt: skip
        reason = text_of((await request.form()).get("reason"), delivery_rules.RETURN_REASON)
        act = delivery.return_delivery(
            uow, actor, principal, delivery_id, reason=reason, now=app_state.clock.now()
        )
        where = f"delivery-{delivery_id}"
        return await self._acted(
            uow, app_state, principal, procurement_id, act, where, {"reason": reason}, "returned"
        )

    @post("/evaluation", summary="Evaluate (服务评价)")
    async def evaluate(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW, app_state: State,
        principal: CurrentPrincipal, actor: CurrentActor,
    ) -> Template | Redirect:  # fmt: skip
        posted = await request.form()
        terms = procurement_terms_of(app_state.settings)
        typed = {c.code: text_of(posted.get(f"score-{c.code}"), 2) for c in terms.after.criteria}
        comment = text_of(posted.get("comment"), evaluation_rules.COMMENT)
        # a radio left unset is a missing score; anything but a digit is out of range for the rule
        scores: dict[str, Any] = {k: int(v) if v.isdigit() else v for k, v in typed.items() if v}
        act = evaluation.evaluate(
            uow, actor, principal, procurement_id, scores=scores, comment=comment, now=app_state.clock.now(),
            terms=terms, policy_=app_state.vocabulary.credit,
        )  # fmt: skip
        return await self._acted(
            uow,
            app_state,
            principal,
            procurement_id,
            act,
            "evaluation",
            {**typed, "comment": comment},
            "evaluated",
        )
