"""What the owner's procurement form shows besides the typed values: the choices (kinds,
methods, quote modes from reference data; divisions, service types, fields of work and
licence types from the registries' vocabulary), and the earliest bid deadline and selection
time allowed now, as dates, counted in working days on the platform's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.calendar import UnknownCalendarYear, WorkingCalendar
from market.models import Registry
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from web.procurement_page_views import china_time


@dataclass(frozen=True, slots=True)
class KindChoice:
    value: str
    label: str
    takes_bids: bool
    working_days: int
    amended_working_days: int
    earliest: str  # the earliest closing (bid deadline, or the draw without bids), China time
    earliest_amended: str
    value_below: str
    registry_label: str
    methods: list[tuple[str, str]]  # (code, name)
    quote_modes: list[tuple[str, str]]


def _earliest(calendar: WorkingCalendar, now: datetime, days: int) -> str:
    try:
        return china_time(calendar.add_working_days(now, days))
    except UnknownCalendarYear:
        return ""  # the page says the holidays of that year are not imported yet


def kind_choices(terms: ProcurementTerms, calendar: WorkingCalendar, now: datetime) -> list[KindChoice]:
    return [
        KindChoice(
            value=kind.kind.value,
            label=kind.kind.label,
            takes_bids=kind.takes_bids,
            working_days=kind.min_bid_working_days,
            amended_working_days=kind.min_amended_working_days,
            earliest=_earliest(calendar, now, kind.min_bid_working_days),
            earliest_amended=_earliest(calendar, now, kind.min_amended_working_days),
            value_below=f"{kind.value_below:,.2f}",
            registry_label=Registry(kind.registry).label,
            # direct selection is requested on a failed attempt, never published from the form
            methods=[(m.code, m.name) for m in kind.methods if m.method != "direct"],
            quote_modes=[(q.value, q.label) for q in kind.quote_modes],
        )
        for kind in terms.kinds.values()
    ]


def form_choices(vocabulary: Vocabulary, terms: ProcurementTerms) -> dict[str, Any]:
    methods: dict[str, str] = {}
    for kind in terms.kinds.values():
        for method in kind.methods:
            methods.setdefault(method.code, method.name)
    return {
        "divisions": vocabulary.divisions.terms,
        "service_types": vocabulary.service_types.terms,
        "work_fields": vocabulary.work_fields.terms,
        "licence_groups": [
            (registry.label, [t for t in vocabulary.licence_types.values() if t.registry is registry])
            for registry in Registry
        ],
        "all_methods": list(methods.items()),
        "credit_bands": terms.credit_bands,
        "attachment_types": terms.attachments.types,
        "attachment_max_mb": terms.attachments.max_bytes // (1024 * 1024),
        "attachment_max_files": terms.attachments.max_files,
    }
