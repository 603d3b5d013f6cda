"""China's working-day calendar over HTTP: which years the platform can count working days
in, each year's days, and importing a year from the State Council's notice
(administrators). The file format is in docs/calendar.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.openapi.spec.operation import Operation
from litestar.params import Parameter, RawBody
from msgspec import Struct

from market import calendar_years
from market.calendar import CalendarYear
from market.calendar_years import FIRST_YEAR, LAST_YEAR, KnownYear, YearImport
from market.models import Role
from web.auth import requires, signed_in
from web.dependencies import CurrentActor, State, UoW

admin_only = requires(Role.ADMIN)


@dataclass
class TomlFileBody(Operation):
    """The import's body is the year file itself (TOML), not JSON: the same file the
    command line takes, sent with ``curl --data-binary @2027.toml``."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={
                "application/toml": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, description="a year file, docs/calendar.md")
                )
            },
            required=True,
        )


class KnownYearView(Struct):
    year: int
    source: str  # "imported" or "chinese_calendar <version>"
    notice: str
    days_off: int
    working_weekend_days: int
    imported_at: datetime | None
    imported_by: str | None
    overrides_library: bool

    @classmethod
    def of(cls, known: KnownYear) -> KnownYearView:
        return cls(
            known.year,
            known.source,
            known.notice,
            known.days_off,
            known.working_weekend_days,
            known.imported_at,
            known.imported_by,
            known.overrides_library,
        )


class DayView(Struct):
    day: date
    holiday: str


class YearDaysView(Struct):
    year: int
    source: str
    notice: str
    days_off: list[DayView]
    working_weekend_days: list[DayView]

    @classmethod
    def of(cls, arrangement: CalendarYear) -> YearDaysView:
        return cls(
            arrangement.year,
            arrangement.source,
            arrangement.notice,
            [DayView(d, n) for d, n in sorted(arrangement.holidays.items())],
            [DayView(d, n) for d, n in sorted(arrangement.working_days.items())],
        )


class YearImportView(Struct):
    year: int
    outcome: str  # created, replaced or unchanged
    overrides_library: bool
    notice: str
    days_off: int
    working_weekend_days: int

    @classmethod
    def of(cls, done: YearImport) -> YearImportView:
        year = done.arrangement
        return cls(
            year.year,
            done.outcome,
            done.overrides_library,
            year.notice,
            len(year.holidays),
            len(year.working_days),
        )


class CalendarController(Controller):
    path = "/api/calendar"
    tags = ["calendar"]

    @get("/years", summary="Years the working-day calendar knows, and where from", guards=[signed_in])
    async def years(self, uow: UoW) -> list[KnownYearView]:
        return [KnownYearView.of(k) for k in await calendar_years.known_years(uow)]

    @get("/years/{year:int}", summary="One year's days off and working weekend days", guards=[signed_in])
    async def year(
        self, year: Annotated[int, Parameter(ge=FIRST_YEAR, le=LAST_YEAR, description="e.g. 2026")], uow: UoW
    ) -> YearDaysView:
        return YearDaysView.of(await calendar_years.year_of(uow, year))

    @post(
        "/years",
        summary="Import a year's holidays and working weekends (节假日安排)",
        description="The body is a year file (TOML, docs/calendar.md), as `market calendar import` "
        "takes it. It replaces what the platform knew about that year (also chinese-calendar's). "
        "201 when the year was created or replaced, 200 when the same file was imported before.",
        guards=[admin_only],
        operation_class=TomlFileBody,
    )
    async def import_year(
        self, body: RawBody, uow: UoW, actor: CurrentActor, app_state: State
    ) -> Response[YearImportView]:
        text = calendar_years.decode_year_file(body)
        done = await calendar_years.import_year(uow, actor, text, now=app_state.clock.now())
        await uow.commit()
        return Response(YearImportView.of(done), status_code=200 if done.outcome == "unchanged" else 201)
