from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from market.calendar import working_calendar
from market.clock import SHANGHAI
from market.procurement.draft import Avoidance, DraftTerms
from market.procurement.terms import ProcurementKind, QuoteMode, load_procurement_terms

TERMS = load_procurement_terms()
CALENDAR = working_calendar()
# Monday 2026-11-02 10:00 in China
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
USCC = "91440203MA55K9870C"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


def service_draft(**changes: object) -> DraftTerms:
    base: dict[str, object] = dict(
        kind=ProcurementKind.INTERMEDIARY_SERVICE,
        title="韶关市某道路工程造价咨询",
        description="编制工程量清单及招标控制价，提交成果报告。",
        division="440203",
        service_type="cost_consulting",
        budget=Decimal("200000.00"),
        ceiling=Decimal("180000.00"),
        floor=Decimal("100000.00"),
        quote_mode=QuoteMode.AMOUNT,
        method="lowest_price",
        winners=1,
        alternates=1,
        bid_deadline=at(2026, 11, 9, 10, 0),
        selection_time=at(2026, 11, 9, 15, 0),
        avoidance=(Avoidance(USCC, "与业主存在关联关系"),),
    )
    base.update(changes)
    return DraftTerms(**base)  # type: ignore[arg-type]


def works_draft(**changes: object) -> DraftTerms:
    base: dict[str, object] = dict(
        kind=ProcurementKind.SMALL_WORKS,
        title="某村道硬底化小额工程",
        description="村道硬底化约1.2公里，含排水沟。",
        division="440203",
        work_field="transport",
        budget=Decimal("1500000.00"),
        ceiling=Decimal("1450000.00"),
        method="random",
        selection_time=at(2026, 11, 9, 10, 0),
    )
    base.update(changes)
    return DraftTerms(**base)  # type: ignore[arg-type]


