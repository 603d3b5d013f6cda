"""Supervisors' alerts (监管提示): refused early reads of sealed bids and draws with withheld
reveals over a period, from the audit log (:mod:`market.supervision.alerts`). Supervisors only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, get
from litestar.response import Template
from msgspec import Struct

from market.clock import local
from market.db import UnitOfWork
from market.supervision import alerts
from web.dependencies import State, UoW
from web.page_access import PAGE_EXCEPTION_HANDLERS
from web.supervision_access import Text40, requested_period, supervisor_pages_guard, supervisors_only


class AlertView(Struct):
    entry_id: int
    occurred_at: datetime
    actor: str
    object_type: str
    object_id: str
    details: dict[str, Any]


class AlertsView(Struct):
    period: str
    early_reads: list[AlertView]
    withheld_reveals: list[AlertView]


def _view(a: alerts.Alert) -> AlertView:
    return AlertView(a.entry_id, local(a.occurred_at), a.actor, a.object_type, a.object_id, a.details)


async def _alerts(
    uow: UnitOfWork, app_state: Any, period: str | None, since: str | None, until: str | None
) -> AlertsView:
    chosen = requested_period(app_state, period, since, until)
    return AlertsView(
        chosen.label,
        [_view(a) for a in await alerts.early_reads(uow, chosen)],
        [_view(a) for a in await alerts.withheld_reveals(uow, chosen)],
    )


class AlertController(Controller):
    path = "/api/supervision/alerts"
    tags = ["supervision"]
    guards = [supervisors_only]

    @get(
        "/",
        summary="Refused early reads of bids and withheld reveals over a period (supervisors)",
        description="From the audit log: who tried to read sealed bids before the opening, and the "
        "draws in which a committed party did not reveal its secret.",
    )
    async def listing(
        self, uow: UoW, app_state: State, period: Text40 = None, since: Text40 = None, until: Text40 = None
    ) -> AlertsView:
        return await _alerts(uow, app_state, period, since, until)


class AlertPages(Controller):
    path = "/supervision/alerts"
    tags = ["supervision"]
    include_in_schema = True
    guards = [supervisor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", summary="Supervisors' alerts (监管提示)")
    async def page(
        self, uow: UoW, app_state: State, period: Text40 = None, since: Text40 = None, until: Text40 = None
    ) -> Template:
        found = await _alerts(uow, app_state, period, since, until)
        return Template(
            template_name="supervision/alerts.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "alerts": found,
                "asked": period or "",
            },
        )
