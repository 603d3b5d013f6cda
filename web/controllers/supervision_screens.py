"""Collusion screens for supervisors (围串标筛查): the flags over a period with their numbers
and the procurements they stand on, and each flag's review. Supervisors only (a refusal is
audited); every run and every review is audited too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from msgspec import Meta, Struct

from market.audit import Actor
from market.clock import local
from market.db import UnitOfWork
from market.procurement.terms import procurement_terms_of
from market.supervision import periods, screening
from web.dependencies import CurrentActor, State, UoW
from web.page_access import PAGE_EXCEPTION_HANDLERS
from web.screen_readout import QUOTE_COLUMNS, quote_cells, readout
from web.supervision_access import Text40, requested_period, supervisor_pages_guard, supervisors_only

KIND_LABELS = {"quote": "报价离散度异常", "pair": "频繁共同投标", "cover": "陪标迹象", "rotation": "轮流中标"}


class ReviewView(Struct):
    decision: str
    note: str
    reviewed_at: datetime


class FlagView(Struct):
    key: str
    kind: str
    label: str
    numbers: dict[str, Any]
    procurements: list[int]
    firms: list[int]
    review: ReviewView | None
    references: list[str]  # the procurements' references, in the same order
    firm_names: list[str]  # the firms' names, in the same order
    readout: list[tuple[str, str]]  # the numbers as the page words them (label, value)


class ScreensView(Struct):
    period: str
    since: str
    until: str
    procurements: int
    flags: list[FlagView]


# A review's fields, as the JSON body and the page's form both take them
Flag = Annotated[str, Meta(max_length=screening.MAX_FLAG)]
Decision = Annotated[str, Meta(max_length=20)]
Note = Annotated[str, Meta(max_length=screening.MAX_NOTE)]
PeriodText = Annotated[str, Meta(max_length=40)]


class ReviewBody(Struct, forbid_unknown_fields=True):
    flag: Flag
    decision: Decision
    note: Note
    period: PeriodText | None = None
    since: PeriodText | None = None
    until: PeriodText | None = None


class ReviewedView(Struct):
    id: int
    flag: str
    decision: str
    note: str
    reviewed_at: datetime


async def _screens(uow: UnitOfWork, actor: Actor, app_state: Any, chosen: periods.Period) -> ScreensView:
    limits = procurement_terms_of(app_state.settings).screens
    flags, screened = await screening.run(uow, actor, chosen, limits)
    names = await screening.names_of(uow, flags)
    views = [
        FlagView(
            f.key,
            f.kind,
            KIND_LABELS[f.kind],
            f.numbers,
            list(f.procurements),
            list(f.firms),
            ReviewView(f.review.decision, f.review.note, local(f.review.reviewed_at)) if f.review else None,
            [names.references.get(p, str(p)) for p in f.procurements],
            [names.firms.get(x, str(x)) for x in f.firms],
            readout(f.kind, f.numbers, names.firms, limits),
        )
        for f in flags
    ]
    return ScreensView(chosen.label, chosen.first.isoformat(), chosen.last.isoformat(), screened, views)


async def _review(
    uow: UnitOfWork, actor: Actor, app_state: Any, body: ReviewBody | ReviewForm
) -> ReviewedView:
    chosen = requested_period(app_state, body.period or None, body.since or None, body.until or None)
    row = await screening.review(
        uow,
        actor,
        chosen,
        procurement_terms_of(app_state.settings).screens,
        flag=body.flag,
        decision=body.decision,
        note=body.note,
        now=app_state.clock.now(),
    )
    return ReviewedView(row.id, row.flag, row.decision, row.note, local(row.reviewed_at))


class ScreenController(Controller):
    path = "/api/supervision/screens"
    tags = ["supervision"]
    guards = [supervisors_only]

    @get(
        "/",
        summary="Collusion screens over a period (supervisors)",
        description="Per procurement: coefficient of variation, relative distance, gap, kurtosis of "
        "the opened quotes; across procurements: co-bidding pairs, cover bidding, winner rotation. "
        "Each flag with its numbers and procurements, and its review. Pointers for review only.",
    )
    async def screens(
        self,
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
    ) -> ScreensView:
        found = await _screens(uow, actor, app_state, requested_period(app_state, period, since, until))
        await uow.commit()
        return found

    @post("/reviews", summary="Review a flag: dismissed or referred, with a note")
    async def review(
        self, data: JSONBody[ReviewBody], uow: UoW, actor: CurrentActor, app_state: State
    ) -> ReviewedView:
        done = await _review(uow, actor, app_state, data)
        await uow.commit()
        return done


@dataclass
class ReviewForm:
    flag: Flag = ""
    decision: Decision = ""
    note: Note = ""
    period: PeriodText = ""
    since: PeriodText = ""
    until: PeriodText = ""


Form = Annotated[ReviewForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


class ScreenPages(Controller):
    path = "/supervision/screens"
    tags = ["supervision"]
    include_in_schema = True
    guards = [supervisor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", summary="Collusion screens (围串标筛查)")
    async def page(
        self,
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
    ) -> Template:
        found = await _screens(uow, actor, app_state, requested_period(app_state, period, since, until))
        await uow.commit()
        return Template(
            template_name="supervision/screens.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "screens": found,
                # the per-procurement flags in one table, the others as cards
                "quote_flags": [(f, quote_cells(f.numbers)) for f in found.flags if f.kind == "quote"],
                "group_flags": [f for f in found.flags if f.kind != "quote"],
                "quote_columns": QUOTE_COLUMNS,
                "limits": procurement_terms_of(app_state.settings).screens,
                "asked": period or "",
                "since": since or "",
                "until": until or "",
            },
        )

    @post("/reviews", summary="Review a flag (page)", status_code=HTTP_303_SEE_OTHER)
    async def review(self, data: Form, uow: UoW, actor: CurrentActor, app_state: State) -> Redirect:
        await _review(uow, actor, app_state, data)
        await uow.commit()
        # back to the same period, named or custom
        chosen = (("period", data.period), ("since", data.since), ("until", data.until))
        asked = {name: value for name, value in chosen if value}
        back = f"/supervision/screens?{urlencode(asked)}" if asked else "/supervision/screens"
        return Redirect(path=back, status_code=HTTP_303_SEE_OTHER)
