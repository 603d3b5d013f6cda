"""The city's figures for supervisors (统计分析): the API, every table as CSV, and the
dashboard with charts drawn on the server (:mod:`web.charts`). Supervisors only, a refusal
audited; definitions in docs/statistics.md."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import QueryParameter
from litestar.response import Template
from msgspec import Struct

from market.db import UnitOfWork
from market.errors import InvalidInput
from market.procurement.terms import ProcurementKind, procurement_terms_of
from market.supervision import statistics as city
from web import charts
from web.dependencies import State, UoW
from web.page_access import PAGE_EXCEPTION_HANDLERS
from web.supervision_access import Text40, requested_period, supervisor_pages_guard, supervisors_only

GroupParam = Annotated[
    str, QueryParameter(max_length=20, description="none, kind, field, division, method or month")
]
TableParam = Annotated[str, QueryParameter(max_length=20, description="figures or on_time")]
LIMIT_LABELS = {
    "objection_answer": "质疑答复",
    "complaint_decision": "投诉处理",
    "contract_owner": "采购人确认合同",
    "contract_firm": "中选单位确认合同",
    "acceptance": "验收",
    "evaluation": "服务评价",
    "evaluation_decision": "评价异议处理",
    "all": "全部",
}


class FiguresView(Struct):
    group: str | None
    label: str
    posted: int
    selected: int
    failed: int
    cancelled: int
    open: int
    success_rate: Decimal | None
    respondents_avg: Decimal | None
    awarded: int
    days_to_award_avg: Decimal | None
    ceiling_awarded: Decimal
    awarded_amount: Decimal
    savings: Decimal
    savings_rate: Decimal | None


class OnTimeView(Struct):
    action: str
    label: str
    done: int
    on_time: int
    late_open: int
    rate: Decimal | None


class StatisticsView(Struct):
    period: str
    since: str
    until: str
    group_by: str
    posted_year_before: int
    growth: Decimal | None
    total: FiguresView
    rows: list[FiguresView]
    on_time: list[OnTimeView]
    on_time_total: OnTimeView


def _labeller(app_state: Any, group_by: str) -> Any:
    vocabulary = app_state.vocabulary
    terms = procurement_terms_of(app_state.settings)

    def label(code: str | None) -> str:
        if code is None:
            return "合计" if group_by == "none" else "（未填）"
        if group_by == "kind":
            return ProcurementKind(code).label if code in {k.value for k in ProcurementKind} else code
        if group_by == "field":
            vocab = vocabulary.service_types if code in vocabulary.service_types else vocabulary.work_fields
            return str(vocab.name(code))
        if group_by == "division":
            return str(vocabulary.divisions.name(code))
        if group_by == "method":
            names = {m.method: m.name for k in terms.kinds.values() for m in k.methods}
            return names.get(code, code)
        return code

    return label


def _figures(f: city.Figures, label: str) -> FiguresView:
    return FiguresView(
        f.group, label, f.posted, f.selected, f.failed, f.cancelled, f.open, f.success_rate,
        f.respondents_avg, f.awarded, f.days_to_award_avg, f.ceiling_awarded, f.awarded_amount, f.savings,
        f.savings_rate,
    )  # fmt: skip


def _on_time(o: city.OnTime) -> OnTimeView:
    return OnTimeView(o.action, LIMIT_LABELS.get(o.action, o.action), o.done, o.on_time, o.late_open, o.rate)


async def _report(
    uow: UnitOfWork, app_state: Any, period: str | None, since: str | None, until: str | None, group_by: str
) -> StatisticsView:
    chosen = requested_period(app_state, period, since, until)
    calendar = await app_state.calendars.current(uow)
    found = await city.report(uow, chosen, group_by=group_by, calendar=calendar, now=app_state.clock.now())
    label = _labeller(app_state, group_by)
    return StatisticsView(
        chosen.label,
        chosen.first.isoformat(),
        chosen.last.isoformat(),
        group_by,
        found.posted_year_before,
        found.growth,
        _figures(found.total, "合计"),
        [_figures(r, label(r.group)) for r in found.rows],
        [_on_time(o) for o in found.on_time],
        _on_time(found.on_time_total),
    )


FIGURE_COLUMNS = (
    ("label", "分组"), ("posted", "发布"), ("selected", "成交"), ("failed", "流标"), ("cancelled", "终止"),
    ("open", "进行中"), ("success_rate", "成功率%"), ("respondents_avg", "平均响应数"), ("awarded", "已定标"),
    ("days_to_award_avg", "发布至定标工作日"), ("ceiling_awarded", "最高限价合计"),
    ("awarded_amount", "成交金额合计"), ("savings", "节约金额"), ("savings_rate", "节约率%"),
)  # fmt: skip
ON_TIME_COLUMNS = (
    ("label", "事项"),
    ("done", "已办"),
    ("on_time", "按时"),
    ("late_open", "逾期未办"),
    ("rate", "按时率%"),
)


def _csv(rows: list[Any], columns: tuple[tuple[str, str], ...]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in rows:
        writer.writerow(["" if getattr(row, name) is None else getattr(row, name) for name, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: spreadsheet programs read it as UTF-8


class StatisticsController(Controller):
    path = "/api/supervision/statistics"
    tags = ["supervision"]
    guards = [supervisors_only]

    @get(
        "/",
        summary="The city's figures over a period (supervisors)",
        description="Posted, selected, failed, cancelled, success rate, year-on-year growth, respondents, "
        "working days to the award, savings, on-time rates; group_by none, kind, field, division, method "
        "or month. Definitions: docs/statistics.md.",
    )
    async def figures(
        self,
        uow: UoW,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
        group_by: GroupParam = "kind",
    ) -> StatisticsView:
        return await _report(uow, app_state, period, since, until, group_by)

    @get("/csv", summary="A table of the figures as CSV (UTF-8 with BOM)", media_type="text/csv")
    async def csv_table(
        self,
        uow: UoW,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
        group_by: GroupParam = "kind",
        table: TableParam = "figures",
    ) -> Response[bytes]:
        if table not in ("figures", "on_time"):
            raise InvalidInput("table is figures or on_time", field="table")
        found = await _report(uow, app_state, period, since, until, group_by)
        if table == "figures":
            body = _csv([*found.rows, found.total], FIGURE_COLUMNS)
        else:
            body = _csv([*found.on_time, found.on_time_total], ON_TIME_COLUMNS)
        name = f"statistics-{table}-{found.since}-{found.until}-{group_by}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


class DashboardPages(Controller):
    path = "/supervision/dashboard"
    tags = ["supervision"]
    include_in_schema = True
    guards = [supervisor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", summary="The supervisors' dashboard (统计分析)")
    async def page(
        self,
        uow: UoW,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
        group_by: GroupParam = "kind",
    ) -> Template:
        found = await _report(uow, app_state, period, since, until, group_by)
        monthly = await _report(uow, app_state, period, since, until, "month")
        rows = found.rows or [found.total]
        outcome_chart = charts.bars(
            f"{found.period} 项目数量（按{'类别' if group_by == 'kind' else '分组'}）",
            [r.label for r in rows],
            [
                charts.Series("发布", [r.posted for r in rows]),
                charts.Series("成交", [r.selected for r in rows]),
                charts.Series("流标", [r.failed for r in rows]),
            ],
        )
        month_chart = charts.bars(
            f"{found.period} 每月发布与成交",
            [r.label[5:] + "月" if len(r.label) == 7 else r.label for r in monthly.rows],
            [
                charts.Series("发布", [r.posted for r in monthly.rows]),
                charts.Series("成交", [r.selected for r in monthly.rows]),
            ],
        )
        on_time_chart = charts.bars(
            "各环节按时率",
            [o.label for o in found.on_time],
            [charts.Series("按时率", [o.rate for o in found.on_time])],
            unit="%",
        )
        query = f"period={period or ''}&since={since or ''}&until={until or ''}&group_by={group_by}"
        return Template(
            template_name="supervision/dashboard.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "stats": found,
                "charts": [outcome_chart, month_chart, on_time_chart],
                "query": query,
                "asked": {"period": period or "", "group_by": group_by},
            },
        )
