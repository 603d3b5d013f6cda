"""The registries as pages for people: the directory (企业名录) with its search form, and
one firm's published record (企业详情).

They read the same domain functions as the JSON API (web.controllers.registry) and only
turn codes into Chinese names, amounts into ¥ and UTC into China time. A bad filter is
shown on the page itself (422), never as a JSON problem: a person typed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from market.clock import local
from market.errors import InvalidInput, NotFound
from market.models import FirmStatus, LicenceStatus, Registry
from market.registry import directory
from market.registry.directory import MAX_PAGE
from market.registry.firm_record import (
    FirmRecord,
    LicenceEntry,
    MisconductEntry,
    StatusChangeEntry,
    TrackRecordEntry,
)
from market.registry.vocabulary import Vocabulary
from web.auth import PUBLIC, signed_in_principal
from web.dependencies import State, UoW
from web.paging import page_numbers
from web.params import Id

# the orders offered in the form; the API's others still work when typed into the address
FORM_SORTS = {"name": "名称", "credit": "信用分从高到低", "admitted": "入库时间（新的在前）"}
SORT_LABELS = FORM_SORTS | {"-credit": "信用分从低到高", "applied": "申请时间", "id": "编号"}
FILTERS = ("kind", "q", "division", "work_field", "service_type", "licence_type", "min_credit", "status")
EXPIRING_DAYS = 30
CHINA_TIME = "%Y-%m-%d %H:%M（北京时间）"


def _whole(value: str, default: int, field: str) -> int:
    if not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{field} is a whole number", field=field) from None
    return number


def chinese_message(exc: InvalidInput, vocabulary: Vocabulary, form: dict[str, str]) -> str:
    """What a person reads when a filter is wrong (the domain's message is for the API)."""
    field = exc.field or ""
    value = form.get(field, "")
    if field == "kind":
        return "库别只能是" + "或".join(f"“{registry.label}”" for registry in Registry) + "。"
    if field == "sort":
        return "排序方式只能是：" + "、".join(SORT_LABELS.get(s, s) for s in directory.SORTS) + "。"
    if field == "status":
        if all(part in {status.value for status in FirmStatus} for part in value.split(",")):
            return "只有“已入库”和“暂停”的企业对外公示；按其他状态查询须由管理人员登录。"
        return "状态只能是：" + "、".join(status.label for status in FirmStatus) + "。"
    if field == "min_credit":
        return f"最低信用分“{value}”不是数字，请填写 0 到 100 之间的数，例如 80。"
    if field == "division":
        return f"注册地“{value}”不是{vocabulary.region.city}的县级行政区划，请从列表中选择。"
    if field == "work_field":
        return f"工程领域“{value}”不在目录中，请从列表中选择。"
    if field == "service_type":
        return f"服务类型“{value}”不在目录中，请从列表中选择。"
    if field == "licence_type":
        return f"资质类别“{value}”不在目录中，请从列表中选择。"
    if field == "page":
        return f"页码应为 1 到 {MAX_PAGE} 之间的整数。"
    if field == "per_page":
        return "每页条数应为 1 到 100 之间的整数。"
    return "查询条件有误，请检查后重新查询。"


@dataclass(frozen=True, slots=True)
class FirmRow:
    id: int
    name: str
    uscc: str
    kind: str
    division: str
    fields: str
    credit_score: str
    status: str
    status_label: str


def _row(vocabulary: Vocabulary, firm: directory.FirmSummary) -> FirmRow:
    names = [vocabulary.work_fields.name(c) for c in firm.work_fields] + [
        vocabulary.service_types.name(c) for c in firm.service_types
    ]
    return FirmRow(
        id=firm.id,
        name=firm.name,
        uscc=firm.uscc,
        kind=firm.kind.label,
        division=vocabulary.divisions.name(firm.division_code) if firm.division_code else "区外",
        fields="、".join(names),
        credit_score=f"{firm.credit_score:.2f}",
        status=firm.status.value,
        status_label=firm.status.label,
    )


def _china(value: datetime | None) -> str:
    return local(value).strftime(CHINA_TIME) if value else ""


def _yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


@dataclass(frozen=True, slots=True)
class LicenceLine:
    licence: LicenceEntry
    grade_label: str
    status_label: str
    approved: bool
    expiring: bool


@dataclass(frozen=True, slots=True)
class TrackRecordLine:
    track: TrackRecordEntry
    amount: str
    field_name: str


@dataclass(frozen=True, slots=True)
class MisconductLine:
    misconduct: MisconductEntry
    severity_label: str


@dataclass(frozen=True, slots=True)
class HistoryLine:
    change: StatusChangeEntry
    from_label: str
    to_label: str
    at_text: str
    until_text: str


@dataclass(frozen=True, slots=True)
class FirmPage:
    """The record as the page shows it: labels in Chinese, money in ¥, times in China."""

    record: FirmRecord
    kind_label: str
    status_label: str
    suspended_until_text: str
    admitted_at_text: str
    licences: list[LicenceLine]
    track_records: list[TrackRecordLine]
    misconduct: list[MisconductLine]
    history: list[HistoryLine]


def _firm_page(record: FirmRecord, vocabulary: Vocabulary) -> FirmPage:
    terms = vocabulary.work_fields if record.kind is Registry.CONTRACTOR else vocabulary.service_types
    licences = []
    for lic in record.licences:
        approved = lic.status is LicenceStatus.APPROVED
        licences.append(
            LicenceLine(
                lic,
                grade_label=lic.grade or "不分等级",
                status_label=lic.status.label,
                approved=approved,
                expiring=approved and not lic.expired and lic.days_left <= EXPIRING_DAYS,
            )
        )
    return FirmPage(
        record,
        kind_label=record.kind.label,
        status_label=record.status.label,
        suspended_until_text=_china(record.suspended_until),
        admitted_at_text=_china(record.admitted_at),
        licences=licences,
        track_records=[
            TrackRecordLine(t, amount=_yuan(t.contract_value), field_name=terms.name(t.field_code))
            for t in record.track_records
        ],
        misconduct=[
            MisconductLine(m, severity_label=m.severity.label)
            for m in record.misconduct
        ],
        history=[
            HistoryLine(
                h,
                from_label=h.from_status.label if h.from_status is not None else "—",
                to_label=h.to_status.label,
                at_text=_china(h.at),
                until_text=_china(h.until),
            )
            for h in record.history or ()
        ],
    )


class RegistryPages(Controller):
    """HTML for anyone: browse the two registries and read a firm's published record."""

    path = "/firms"
    tags = ["registry"]
    include_in_schema = False

    @get("/", opt=PUBLIC, summary="Registry directory page (企业名录)")
    async def directory_page(
        self,
        request: Request[Any, Any, Any],
        uow: UoW,
        app_state: State,
        kind: FromQuery[str] = "",
        q: FromQuery[str] = "",
        division: FromQuery[str] = "",
        work_field: FromQuery[str] = "",
        service_type: FromQuery[str] = "",
        licence_type: FromQuery[str] = "",
        min_credit: FromQuery[str] = "",
        status: FromQuery[str] = "",
        sort: FromQuery[str] = "name",
        page: FromQuery[str] = "",
        per_page: FromQuery[str] = "",
    ) -> Template:
        vocabulary = app_state.vocabulary
        reader = signed_in_principal(request)
        official = directory.audience_of(reader) is directory.Audience.OFFICIAL
        form = {
            "kind": kind,
            "q": q,
            "division": division,
            "work_field": work_field,
            "service_type": service_type,
            "licence_type": licence_type,
            "min_credit": min_credit,
            "status": status,
            "sort": sort or "name",
            "page": page,
            "per_page": per_page,
        }
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "form": form,
            "official": official,
            "kinds": [(registry.value, registry.label) for registry in Registry],
            "divisions": vocabulary.divisions.terms,
            "work_fields": vocabulary.work_fields.terms,
            "service_types": vocabulary.service_types.terms,
            "licence_groups": [
                (
                    registry.label,
                    [t for t in vocabulary.licence_types.values() if t.registry is registry],
                )
                for registry in Registry
            ],
            "sorts": list(FORM_SORTS.items()),
            "statuses": [(status.value, status.label) for status in FirmStatus],
            "error": None,
            "result": None,
        }
        try:
            query = directory.directory_query(
                vocabulary,
                kind=kind,
                text=q,
                division=division,
                work_field=work_field,
                service_type=service_type,
                licence_type=licence_type,
                status=status,
                min_credit=min_credit,
                sort=form["sort"],
                page=_whole(page, 1, "page"),
                per_page=_whole(per_page, 20, "per_page"),
                reader=reader,
            )
        except InvalidInput as exc:
            context["error"] = chinese_message(exc, vocabulary, form)
            return Template(template_name="firms.html", context=context, status_code=422)
        result = await directory.search(uow, query, now=app_state.clock.now())
        kept = {key: form[key] for key in FILTERS if form[key]}
        if form["sort"] != "name":
            kept["sort"] = form["sort"]
        if per_page:
            kept["per_page"] = str(query.per_page)
        context["result"] = result
        context["rows"] = [_row(vocabulary, firm) for firm in result.items]
        context["page_links"] = [
            (number, f"/firms?{urlencode(kept | {'page': number})}" if number else None)
            for number in page_numbers(result.page, result.pages)
        ]
        context["previous_link"] = (
            f"/firms?{urlencode(kept | {'page': result.page - 1})}" if result.page > 1 else None
        )
        context["next_link"] = (
            f"/firms?{urlencode(kept | {'page': result.page + 1})}" if result.page < result.pages else None
        )
        return Template(template_name="firms.html", context=context)

    @get("/{firm_id:int}", opt=PUBLIC, summary="A firm's published record (企业详情)")
    async def firm_page(
        self, request: Request[Any, Any, Any], firm_id: Id, uow: UoW, app_state: State
    ) -> Template:
        reader = signed_in_principal(request)
        try:
            record = await directory.firm_record(
                uow, app_state.vocabulary, firm_id, reader=reader, now=app_state.clock.now()
            )
        except NotFound:
            return Template(
                template_name="error.html",
                context={
                    "platform_name": app_state.settings.platform_name,
                    "title": "未找到该企业",
                    "detail": f"没有编号为 {firm_id} 的公示企业。企业经审核入库后才在名录中公示。",
                },
                status_code=404,
            )
        return Template(
            template_name="firm.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "firm": _firm_page(record, app_state.vocabulary),
                "signed_in": directory.audience_of(reader, firm_id) is not directory.Audience.PUBLIC,
                # signed in yet shown the public view: an applicant, not yet admitted
                "awaiting_admission": reader is not None,
            },
        )
