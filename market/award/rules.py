"""Pure rules of the award: the price a winner is awarded at, and the times that follow a
selection. No session, no clock: the services pass what they loaded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from market.calendar import WorkingCalendar
from market.procurement.after_selection_terms import AfterSelectionTerms

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def awarded_amount(ceiling: Decimal, entry: Mapping[str, Any] | None) -> Decimal:
    """The price (成交金额) of a winner whose opening-list entry is ``entry``: its quoted
    amount, or the ceiling less its discount rate (下浮率); without a quote (a contractor
    drawn from the pool, a direct selection) the ceiling (最高限价) the owner published."""
    if entry is None or entry.get("quote_value") is None:
        return ceiling.quantize(CENT)
    value = Decimal(str(entry["quote_value"]))
    if entry.get("quote_mode") == "discount_rate":
        return (ceiling * (HUNDRED - value) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    return value.quantize(CENT)


def publicity_end(selected_at: datetime, after: AfterSelectionTerms, calendar: WorkingCalendar) -> datetime:
    """The result is published for ``publicity_working_days`` working days from the selection."""
    return calendar.add_working_days(selected_at, after.publicity_working_days)


def contract_due(awarded_at: datetime, after: AfterSelectionTerms) -> datetime:
    """Both parties confirm the contract within ``contract_days`` calendar days of the award."""
    return awarded_at + timedelta(days=after.contract_days)
