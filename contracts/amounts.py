"""Money amounts: validation and the capital-numeral form (人民币大写).

Amounts are ``Decimal`` yuan with at most two decimal places (分). The capital form
follows the rules for bills and settlement vouchers of the People's Bank of China
(正确填写票据和结算凭证的基本规定): ``整`` after an amount that stops at 元 or 角, a single
``零`` for runs of zeros, ``壹拾`` rather than ``拾``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import cn2an

from contracts.errors import InvalidDocumentData

#: Largest amount accepted (exclusive): one trillion yuan, far above any procurement
#: here, and below the point where cn2an's unit handling would need checking again.
AMOUNT_LIMIT = Decimal("1000000000000")

_CENT = Decimal("0.01")


def check_amount(value: object, field: str = "amount") -> Decimal:
    """Return ``value`` as a two-place ``Decimal`` or raise :class:`InvalidDocumentData`.

    Accepts a ``Decimal``, an ``int`` or a decimal string such as ``"123456.78"``.
    Refuses ``float`` (binary fractions cannot represent 分 exactly), ``bool``, negative
    amounts, amounts with more than two decimal places, NaN/infinity and amounts of one
    trillion yuan or more.
    """
    if isinstance(value, bool | float):
        raise InvalidDocumentData(field, f"must be a Decimal amount in yuan, not {type(value).__name__}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise InvalidDocumentData(field, f"{value!r} is not a decimal amount") from None
    else:
        raise InvalidDocumentData(field, f"must be a Decimal amount in yuan, not {type(value).__name__}")
    if not amount.is_finite():
        raise InvalidDocumentData(field, "must be a finite amount")
    if amount < 0:
        raise InvalidDocumentData(field, "must not be negative")
    if amount != amount.quantize(_CENT):
        raise InvalidDocumentData(field, "must have at most two decimal places (分)")
    if amount >= AMOUNT_LIMIT:
        raise InvalidDocumentData(field, "is too large")
    return amount.quantize(_CENT)


def amount_in_figures(amount: Decimal) -> str:
    """Format an amount with thousands separators and two places: ``123,456.78``."""
    return f"{check_amount(amount):,.2f}"


def amount_in_words(amount: Decimal) -> str:
    """Return the amount in capital numerals, e.g. ``壹拾贰万叁仟肆佰伍拾陆元柒角捌分``.

    Whole amounts end in ``元整`` (``壹佰元整``), amounts that stop at 角 in ``角整``
    (``壹角整``); zero is ``零元整``. The prefix ``人民币`` is left to the template.
    """
    value = check_amount(amount)
    words: str = cn2an.an2cn(f"{value:.2f}", "rmb")
    # cn2an already writes 整 after 元 and the single 零 of the PBoC rules; it leaves
    # 整 off after 角, which the rules allow and which contracts write by convention to
    # stop anything being appended.
    if words.endswith("角"):
        words += "整"
    if not words or any(ch.isdigit() for ch in words):
        raise InvalidDocumentData("amount", f"cannot be written in capital numerals: {value}")
    return words
