"""The pure bid rules: quotes against ceiling, floor and mode; bidding open strictly before
the deadline; the avoidance list; attachments; refusals that name nothing but the bidder's
own bid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.bidding import rules
from market.bidding.rules import BiddingClosed, BidNotAllowed, QuoteRefused, Reason
from market.errors import InvalidInput
from market.procurement.draft import Avoidance
from market.procurement.states import ProcurementStatus
from market.procurement.terms import QuoteMode
from market.sealed.bids import Attachment, Quote
from tests.unit.procurement.conftest import TERMS, USCC, at, service_draft

AMOUNT = service_draft()  # ceiling 180000.00, floor 100000.00
DISCOUNT = service_draft(quote_mode=QuoteMode.DISCOUNT_RATE)
DEADLINE = at(2026, 11, 9, 10, 0)


def code(draft: object, mode: str, value: str) -> str | None:
    reason = rules.quote_reason(draft, Quote(mode, Decimal(value)))  # type: ignore[arg-type]
    return None if reason is None else reason.code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("180000.00", None),
        ("100000", None),
        ("180000.01", "above-ceiling"),
        ("99999.99", "below-floor"),
        ("0", "quote-not-positive"),
        ("-5", "quote-not-positive"),
        ("150000.005", "quote-precision"),
    ],
)
def test_an_amount_lies_between_floor_and_ceiling_in_fen(value: str, expected: str | None) -> None:
    assert code(AMOUNT, "amount", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", None),
        ("12.5", None),
        ("44.44", None),  # 180000 × 0.5556 = 100008 ≥ floor
        ("44.45", "below-floor"),  # 99990 < floor
        ("100", "rate-out-of-range"),
        ("-0.01", "rate-out-of-range"),
        ("12.345", "quote-precision"),
    ],
)
def test_a_discount_rate_is_a_percentage_whose_price_stays_above_the_floor(
    value: str, expected: str | None
) -> None:
    assert code(DISCOUNT, "discount_rate", value) == expected


def test_the_mode_must_be_the_procurements() -> None:
    assert code(AMOUNT, "discount_rate", "5") == "wrong-quote-mode"
    assert code(DISCOUNT, "amount", "150000.00") == "wrong-quote-mode"
    assert code(service_draft(quote_mode=None), "amount", "1.00") == "no-bids"


def test_a_refused_quote_never_repeats_the_quote() -> None:
    with pytest.raises(QuoteRefused) as refused:
        rules.check_quote(AMOUNT, Quote("amount", Decimal("987654.32")))
    assert "987654" not in refused.value.message and refused.value.field == "quote"
    assert "180,000.00" in refused.value.message


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2))
def test_an_amount_counts_exactly_when_it_is_within_the_limits(value: Decimal) -> None:
    assert floor_ok(value) == (rules.quote_reason(AMOUNT, Quote("amount", value)) is None)


def floor_ok(value: Decimal) -> bool:
    assert AMOUNT.floor is not None
    return AMOUNT.floor <= value <= AMOUNT.ceiling


@given(st.decimals(min_value=Decimal(0), max_value=Decimal("99.99"), places=2))
def test_a_rate_counts_exactly_when_its_price_reaches_the_floor(rate: Decimal) -> None:
    price = rules.implied_price(DISCOUNT.ceiling, rate)
    assert DISCOUNT.floor is not None
    assert (price >= DISCOUNT.floor) == (rules.quote_reason(DISCOUNT, Quote("discount_rate", rate)) is None)
    assert price <= DISCOUNT.ceiling


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_bidding_is_open_strictly_before_the_deadline(offset_ms: int) -> None:
    now = DEADLINE + timedelta(milliseconds=offset_ms)
    reason = rules.bidding_reason(ProcurementStatus.PUBLISHED, DEADLINE, now, takes_bids=True)
    assert (reason is None) == (now < DEADLINE)
    if reason is not None:
        assert reason.code == "bidding-closed" and "2026-11-09 10:00:00" in reason.message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (ProcurementStatus.DRAFT, "not-published"),
        (ProcurementStatus.CANCELLED, "cancelled"),
        (ProcurementStatus.BIDDING_CLOSED, "bidding-closed"),
        (ProcurementStatus.OPENED, "bidding-closed"),
        (ProcurementStatus.SELECTED, "bidding-closed"),
    ],
)
def test_only_a_published_procurement_takes_bids(status: ProcurementStatus, expected: str) -> None:
    early = DEADLINE - timedelta(days=1)
    with pytest.raises(BiddingClosed) as refused:
        rules.check_bidding_open(status, DEADLINE, early, takes_bids=True, cancel_reason="资金未落实")
    assert refused.value.details["reason"] == expected
    if status is ProcurementStatus.CANCELLED:
        assert "资金未落实" in refused.value.message
    no_bids = rules.bidding_reason(ProcurementStatus.PUBLISHED, None, early, takes_bids=False)
    assert no_bids is not None and no_bids.code == "no-bids"


def test_an_avoided_firm_is_told_the_owners_reason_whatever_the_spelling() -> None:
    draft = service_draft(avoidance=(Avoidance(USCC, "与业主存在关联关系"),))
    reason = rules.avoidance_reason(draft, USCC.lower())
    assert reason == Reason(
        "avoided", "your firm is on this procurement's avoidance list (回避): 与业主存在关联关系"
    )
    assert rules.avoidance_reason(draft, "91440203MA55K9871A") is None
    assert rules.avoidance_reason(draft, None) is None


def test_a_refusal_lists_every_reason_by_code_as_a_403() -> None:
    refused = BidNotAllowed([Reason("licence-expired", "资质已过期"), Reason("low-credit", "信用分低")])
    assert refused.message.startswith(
        "your firm may not bid on this procurement (licence-expired, low-credit)"
    )
    assert [r["code"] for r in refused.details["reasons"]] == ["licence-expired", "low-credit"]
    with pytest.raises(ValueError):
        BidNotAllowed([])


def test_attachments_follow_the_reference_types_and_a_bids_limits() -> None:
    files = TERMS.attachments
    rules.check_attachments(files, [Attachment("报价单.pdf", b"%PDF-1.7 body")])
    with pytest.raises(InvalidInput, match="attachments are PDF") as wrong:
        rules.check_attachments(files, [Attachment("ok.pdf", b"%PDF-"), Attachment("run.exe", b"MZ")])
    assert wrong.value.field == "attachments[1]"
    with pytest.raises(InvalidInput, match="not a PDF"):
        rules.check_attachments(files, [Attachment("fake.pdf", b"MZ...")])
    with pytest.raises(InvalidInput, match="empty"):
        rules.check_attachments(files, [Attachment("empty.pdf", b"")])
    with pytest.raises(InvalidInput, match="at most 5 files"):
        rules.check_attachments(files, [Attachment(f"{n}.pdf", b"%PDF-") for n in range(6)])
    big = b"%PDF-" + bytes(rules.BID_MAX_TOTAL_BYTES // 2)
    with pytest.raises(InvalidInput, match="together"):
        rules.check_attachments(files, [Attachment("a.pdf", big), Attachment("b.pdf", big)])
