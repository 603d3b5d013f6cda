"""An administrator's credit correction is read as plain points, two places, within the
scale: no text can make the decimal arithmetic overflow (a 500 before)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from market.errors import InvalidInput
from market.registry.credit import parse_points


@pytest.mark.parametrize(("text", "points"), [
    ("-2.5", Decimal("-2.50")),
    ("+3", Decimal("3.00")),
    (" 1.25 ", Decimal("1.25")),
    ("100", Decimal("100.00")),
    ("-100.00", Decimal("-100.00")),
])
def test_points_as_people_write_them(text: str, points: Decimal) -> None:
    parsed = parse_points(text)
    assert parsed == points and parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(("text", "reason"), [
    ("1E+1000000", "is not a number of points"),
    ("1e2", "is not a number of points"),
    ("NaN", "is not a number of points"),
    ("-Infinity", "is not a number of points"),
    ("sNaN", "is not a number of points"),
    ("", "is not a number of points"),
    ("１０", "is not a number of points"),  # full-width digits Decimal would accept
    ("9" * 5000, "is not a number of points"),
    ("1.005", "more than two decimals"),
    ("100.01", "beyond the 100 points"),
    ("-999999999999", "beyond the 100 points"),
])
def test_anything_else_is_refused_naming_the_field(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as error:
        parse_points(text)
    assert error.value.details["field"] == "delta"
    assert len(str(error.value)) < 120  # a 5000-digit text is not echoed back whole
