from __future__ import annotations

from decimal import Decimal

import pytest

from contracts import InvalidDocumentData, amount_in_figures, amount_in_words, check_amount


@pytest.mark.parametrize(("amount", "words"), [
    ("123456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
    ("100", "壹佰元整"),
    ("10.00", "壹拾元整"),
    ("0", "零元整"),
    ("0.10", "壹角整"),
    ("12.30", "壹拾贰元叁角整"),
    ("0.05", "伍分"),
    ("20000.07", "贰万元零柒分"),
    ("1000010", "壹佰万零壹拾元整"),
    ("100000001.01", "壹亿零壹元零壹分"),
    ("2386500.00", "贰佰叁拾捌万陆仟伍佰元整"),
])
def test_amount_in_capital_numerals_follows_the_pboc_form(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_figures_has_separators_and_two_places() -> None:
    assert amount_in_figures(Decimal("1234567.5")) == "1,234,567.50"


@pytest.mark.parametrize("bad", [Decimal("-0.01"), Decimal("1.005"), "12.345", 1.5, True,
                                 "abc", Decimal("NaN"), None])
def test_negative_over_precise_or_non_decimal_amounts_are_refused(bad: object) -> None:
    with pytest.raises(InvalidDocumentData) as error:
        check_amount(bad, "amount")
    assert error.value.field == "amount"
