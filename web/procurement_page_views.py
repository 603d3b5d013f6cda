"""Procurements as the pages show them: codes as the registries' and the reference data's
Chinese names, money in ¥, UTC in China time. Formatting only — the sentences around these
values are in the templates (``procurement_macros.html``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from market.clock import local
from market.procurement.draft import DraftTerms
from market.procurement.listing import ProcurementDetail, ProcurementSummary, VersionEntry
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, ProcurementTerms, QuoteMode
from market.registry.vocabulary import Vocabulary

CHINA_TIME = "%Y-%m-%d %H:%M"
MONEY_FIELDS = frozenset({"budget", "ceiling", "floor"})
TIME_FIELDS = frozenset({"bid_deadline", "selection_time"})


def china_time(value: datetime | None) -> str:
    return local(value).strftime(CHINA_TIME) if value else ""


def yuan(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"¥{Decimal(value):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def method_name(terms: ProcurementTerms, kind: ProcurementKind, method: str, variant: str | None) -> str:
    option = terms.of(kind).method(method, variant)
    return option.name if option else method if variant is None else f"{method}/{variant}"


def field_name(vocabulary: Vocabulary, summary: ProcurementSummary) -> str:
    if summary.service_type:
        return vocabulary.service_types.name(summary.service_type)
    return vocabulary.work_fields.name(summary.work_field) if summary.work_field else ""


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One procurement in a list."""

    summary: ProcurementSummary
    kind_label: str
    status_label: str
    division: str
    field: str
    budget: str
    ceiling: str
    closes_at: str
    selection_time: str
    published_at: str


def summary_line(vocabulary: Vocabulary, summary: ProcurementSummary) -> SummaryLine:
    return SummaryLine(
        summary,
        kind_label=summary.kind.label,
        status_label=summary.status.label,
        division=vocabulary.divisions.name(summary.division_code),
        field=field_name(vocabulary, summary),
        budget=yuan(summary.budget),
        ceiling=yuan(summary.ceiling),
        closes_at=china_time(summary.bid_deadline),
        selection_time=china_time(summary.selection_time),
        published_at=china_time(summary.published_at),
    )


@dataclass(frozen=True, slots=True)
class RequirementsView:
    licences: list[str]
    min_grade: str
    all_licences: bool
    min_practitioners: int
    local_only: bool
    min_credit: str
    city: str


def requirements_view(vocabulary: Vocabulary, raw: Mapping[str, Any]) -> RequirementsView:
    licences, grade = [], str(raw.get("min_grade") or "")
    for item in raw.get("licences") or ():
        code = item.get("licence_type") if isinstance(item, Mapping) else item
        licences.append(vocabulary.licence_name(str(code)))
        if isinstance(item, Mapping) and item.get("min_grade"):
            grade = grade or str(item["min_grade"])
    practitioners = raw.get("min_practitioners") or 0
    return RequirementsView(
        licences=licences,
        min_grade=grade,
        all_licences=raw.get("licence_rule") == "all",
        min_practitioners=int(practitioners) if str(practitioners).isdigit() else 0,
        local_only=bool(raw.get("local_only")),
        min_credit=str(raw.get("min_credit") or ""),
        city=vocabulary.region.city,
    )


@dataclass(frozen=True, slots=True)
class DiffLine:
    field: str
    old: str
    new: str


def _shown(vocabulary: Vocabulary, name: str, value: Any) -> str:
    """A diff's old or new value (JSON, as stored) for people."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if name in MONEY_FIELDS:
        return yuan(str(value))
    if name in TIME_FIELDS:
        try:
            return china_time(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    labelled: dict[str, Any] = {
        "kind": lambda v: ProcurementKind(v).label,
        "quote_mode": lambda v: QuoteMode(v).label,
        "division": vocabulary.divisions.name,
        "service_type": vocabulary.service_types.name,
        "work_field": vocabulary.work_fields.name,
    }
    if name in labelled:
        try:
            return str(labelled[name](value))
        except ValueError:
            return str(value)
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True, slots=True)
class VersionView:
    version: VersionEntry
    created_at: str
    changes: list[DiffLine]


def version_view(vocabulary: Vocabulary, version: VersionEntry) -> VersionView:
    changes = [
        DiffLine(
            name, _shown(vocabulary, name, change.get("old")), _shown(vocabulary, name, change.get("new"))
        )
        for name, change in sorted(version.diff.items())
    ]
    return VersionView(version, china_time(version.created_at), changes)


@dataclass(frozen=True, slots=True)
class DetailView:
    """A procurement's page: its terms with every code named."""

    detail: ProcurementDetail
    terms: DraftTerms
    line: SummaryLine
    quote_mode: str
    method: str
    floor: str
    bid_deadline: str
    requirements: RequirementsView
    versions: list[VersionView]
    amendments: list[VersionView]
    cancelled_at: str
    is_draft: bool
    is_cancelled: bool


def detail_view(vocabulary: Vocabulary, terms: ProcurementTerms, detail: ProcurementDetail) -> DetailView:
    draft = detail.terms
    versions = [version_view(vocabulary, v) for v in detail.versions]
    return DetailView(
        detail=detail,
        terms=draft,
        line=summary_line(vocabulary, detail.summary),
        quote_mode=draft.quote_mode.label if draft.quote_mode else "",
        method=method_name(terms, draft.kind, draft.method, draft.variant),
        floor=yuan(draft.floor),
        bid_deadline=china_time(draft.bid_deadline),
        requirements=requirements_view(vocabulary, draft.requirements),
        versions=versions,
        amendments=[v for v in versions if v.version.sequence > 1],
        cancelled_at=china_time(detail.cancelled_at),
        is_draft=detail.summary.status is ProcurementStatus.DRAFT,
        is_cancelled=detail.summary.status is ProcurementStatus.CANCELLED,
    )
