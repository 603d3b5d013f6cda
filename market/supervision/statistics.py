"""The city's figures, computed by the platform itself (issue 14), as ``docs/statistics.md``
defines them so that anyone can reproduce them from the published data.

A procurement counts in the period it was **published** in (its cohort), with the outcome it
has now: *selected* once a winner was selected (selected, awarded, contracted … evaluated),
*failed* (流标), *cancelled* (终止), or *open*. Then, per group (kind, field of work or
service type, division, method) and in total:

- posted, selected, failed, cancelled, open;
- success rate = selected ÷ (selected + failed) — cancellations are the owner's decision,
  not the market's, and open ones have no outcome yet;
- year-on-year growth of posted = (posted − posted in the same days a year before) ÷ the latter;
- respondents per procurement = bids opened (every live bid at the deadline), averaged over
  the procurements that take bids and were opened;
- working days from publication to award (the current award's ``awarded_at``), averaged;
- savings = ceiling − awarded price, summed over awarded procurements, and as a percentage
  of their ceilings;
- the share of each selection method among those posted;
- the on-time rate of every time-limited action due in the period: done by its due time ÷
  (done + still open past it).

One SQL statement per table, aggregated in PostgreSQL; working days through a cumulative
index of the working calendar passed as an array, so a year of 100,000 procurements is one
scan (``bench/supervision.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Literal, get_args

from sqlalchemy import text

from market.calendar import UnknownCalendarYear, WorkingCalendar
from market.db import UnitOfWork
from market.errors import InvalidInput
from market.supervision.periods import Period

GroupBy = Literal["none", "kind", "field", "division", "method", "month"]
GROUPS: tuple[GroupBy, ...] = get_args(GroupBy)
_GROUP_SQL = {
    "none": "NULL::text",
    "kind": "p.kind::text",
    "field": "coalesce(p.service_type, p.work_field)",
    "division": "p.division_code",
    "method": "p.terms->>'method'",
    "month": "to_char(p.published_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
}
SELECTED_STATUSES = ("selected", "awarded", "contracted", "delivered", "accepted", "evaluated")
EPOCH = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class Figures:
    group: str | None  # None: the total
    posted: int
    selected: int
    failed: int
    cancelled: int
    open: int
    respondents_avg: Decimal | None
    awarded: int
    days_to_award_avg: Decimal | None
    ceiling_awarded: Decimal  # the ceilings of the awarded ones
    awarded_amount: Decimal
    savings: Decimal

    @property
    def success_rate(self) -> Decimal | None:
        closed = self.selected + self.failed
        return _percent(self.selected, closed)

    @property
    def savings_rate(self) -> Decimal | None:
        return _percent(self.savings, self.ceiling_awarded)


@dataclass(frozen=True, slots=True)
class OnTime:
    action: str
    done: int
    on_time: int
    late_open: int  # still owed past the due time

    @property
    def rate(self) -> Decimal | None:
        return _percent(self.on_time, self.done + self.late_open)


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    group_by: GroupBy
    rows: list[Figures]
    total: Figures
    posted_year_before: int
    on_time: list[OnTime]

    @property
    def growth(self) -> Decimal | None:
        """Year-on-year growth of posted procurements, in percent."""
        if not self.posted_year_before:
            return None
        return _percent(self.total.posted - self.posted_year_before, self.posted_year_before)

    @property
    def on_time_total(self) -> OnTime:
        return OnTime(
            "all",
            sum(o.done for o in self.on_time),
            sum(o.on_time for o in self.on_time),
            sum(o.late_open for o in self.on_time),
        )


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@lru_cache(maxsize=8)
def working_index(calendar: WorkingCalendar) -> tuple[date, list[int | None]]:
    """``(first, index)``: ``index[n]`` is the number of working days from ``first`` to
    ``first + n`` inclusive, over the calendar's known years (None past an unknown day), so
    that working days ``d`` with ``a < d <= b`` are ``index[b] − index[a]``."""
    years = sorted(calendar.known_years)
    if not years:
        return EPOCH, []
    first = date(years[0], 1, 1)
    last = date(years[-1], 12, 31)
    index: list[int | None] = []
    count = 0
    day = first
    while day <= last:
        try:
            count += calendar.is_working_day(day)
            index.append(count)
        except UnknownCalendarYear:
            index.append(None)
        day += timedelta(days=1)
    return first, index


#: Working days from publication to the award: NULL off the known calendar (a year not
#: imported yet), so that the average is over the awards that have a count.
_DAYS_TO_AWARD = """(CAST(:index AS integer[]))[
    (a.awarded_at AT TIME ZONE 'Asia/Shanghai')::date - CAST(:first AS date) + 1
  ] - (CAST(:index AS integer[]))[p.published_n]"""

_FIGURES = """
WITH p AS (
  SELECT p.id, p.kind, p.status, p.ceiling, p.service_type, p.work_field, p.division_code, p.terms,
         p.published_at,
         (p.published_at AT TIME ZONE 'Asia/Shanghai')::date - CAST(:first AS date) + 1 AS published_n,
         p.bid_deadline
  FROM procurement p
  WHERE p.published_at >= :start AND p.published_at < :end AND p.reference IS NOT NULL
)
SELECT {group} AS grp,
  count(*) AS posted,
  count(*) FILTER (WHERE p.status = ANY(:selected)) AS selected,
  count(*) FILTER (WHERE p.status = 'failed') AS failed,
  count(*) FILTER (WHERE p.status = 'cancelled') AS cancelled,
  sum(jsonb_array_length(o.entries)) FILTER (WHERE p.bid_deadline IS NOT NULL) AS respondents,
  count(o.procurement_id) FILTER (WHERE p.bid_deadline IS NOT NULL) AS opened,
  count(a.id) FILTER (WHERE a.awarded_at IS NOT NULL) AS awarded,
  sum({days}) FILTER (WHERE a.awarded_at IS NOT NULL) AS days_to_award,
  count({days}) FILTER (WHERE a.awarded_at IS NOT NULL) AS days_counted,
  coalesce(sum(p.ceiling) FILTER (WHERE a.awarded_at IS NOT NULL), 0) AS ceiling_awarded,
  coalesce(sum(a.amount) FILTER (WHERE a.awarded_at IS NOT NULL), 0) AS awarded_amount
FROM p
LEFT JOIN bid_opening o ON o.procurement_id = p.id
LEFT JOIN award a ON a.procurement_id = p.id AND a.ended_at IS NULL
{group_by}
"""

_POSTED = """
SELECT count(*) FROM procurement p
WHERE p.published_at >= :start AND p.published_at < :end AND p.reference IS NOT NULL
"""

_ON_TIME = """
SELECT l.action,
  count(*) FILTER (WHERE l.done_at IS NOT NULL) AS done,
  count(*) FILTER (WHERE l.done_at IS NOT NULL AND l.done_at <= l.due_at) AS on_time,
  count(*) FILTER (WHERE l.done_at IS NULL AND l.cancelled_at IS NULL AND l.due_at < :now) AS late_open
FROM time_limit l
WHERE l.due_at >= :start AND l.due_at < :end
GROUP BY l.action ORDER BY l.action
"""


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _avg(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class _Sums:
    """One group's sums and counts as the statement returns them (averages are taken after
    adding groups up, so the total's are exact)."""

    group: str | None
    posted: int
    selected: int
    failed: int
    cancelled: int
    respondents: int
    opened: int
    awarded: int
    days_to_award: int
    days_counted: int
    ceiling_awarded: Decimal
    awarded_amount: Decimal

    @classmethod
    def of(cls, r: Any) -> _Sums:
        return cls(
            r.grp, r.posted, r.selected, r.failed, r.cancelled, int(r.respondents or 0), r.opened,
            r.awarded, int(r.days_to_award or 0), r.days_counted, _money(r.ceiling_awarded),
            _money(r.awarded_amount),
        )  # fmt: skip

    @classmethod
    def total(cls, groups: list[_Sums]) -> _Sums:
        def added(name: str) -> int:
            return sum(getattr(g, name) for g in groups)

        return cls(
            None, added("posted"), added("selected"), added("failed"), added("cancelled"),
            added("respondents"), added("opened"), added("awarded"), added("days_to_award"),
            added("days_counted"),
            sum((g.ceiling_awarded for g in groups), Decimal("0.00")),
            sum((g.awarded_amount for g in groups), Decimal("0.00")),
        )  # fmt: skip

    def figures(self) -> Figures:
        return Figures(
            group=self.group,
            posted=self.posted,
            selected=self.selected,
            failed=self.failed,
            cancelled=self.cancelled,
            open=self.posted - self.selected - self.failed - self.cancelled,
            respondents_avg=_avg(self.respondents, self.opened),
            awarded=self.awarded,
            days_to_award_avg=_avg(self.days_to_award, self.days_counted),
            ceiling_awarded=self.ceiling_awarded,
            awarded_amount=self.awarded_amount,
            savings=self.ceiling_awarded - self.awarded_amount,
        )


async def report(
    uow: UnitOfWork, period: Period, *, group_by: str, calendar: WorkingCalendar, now: datetime
) -> Report:
    if group_by not in GROUPS:
        raise InvalidInput(f"group_by is one of {', '.join(GROUPS)}", field="group_by")
    first, index = working_index(calendar)
    group = _GROUP_SQL[group_by]
    # the groups' sums and counts; the total is their sum (a ROLLUP aggregated every row twice)
    grouping = "" if group_by == "none" else "GROUP BY 1"
    sql = _FIGURES.format(group=group, group_by=grouping, days=_DAYS_TO_AWARD)
    # a plan for these bounds: a generic plan, which a connection's prepared statement turns
    # to after five runs, guesses the period's share of rows and joins row by row
    await uow.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rows = (
        await uow.session.execute(
            text(sql),
            {
                "start": period.start,
                "end": period.end,
                "selected": list(SELECTED_STATUSES),
                "index": index,
                "first": first,
            },
        )
    ).all()
    sums = [_Sums.of(r) for r in rows if r.posted]
    figures = [s.figures() for s in sums] if group_by != "none" else []
    total = _Sums.total(sums).figures()
    before = period.year_before()
    posted_before = await uow.session.scalar(text(_POSTED), {"start": before.start, "end": before.end})
    limits = (
        await uow.session.execute(text(_ON_TIME), {"start": period.start, "end": period.end, "now": now})
    ).all()
    return Report(
        period=period,
        group_by=group_by,
        # months in order; other groups largest first
        rows=sorted(
            figures, key=lambda f: (f.group or "") if group_by == "month" else (-f.posted, f.group or "")
        ),
        total=total,
        posted_year_before=int(posted_before or 0),
        on_time=[OnTime(r.action, r.done, r.on_time, r.late_open) for r in limits],
    )
