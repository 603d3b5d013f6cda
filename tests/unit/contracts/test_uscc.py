"""The platform's one USCC check (contracts.uscc) and the places that use it."""

from __future__ import annotations

import dataclasses

import pytest

from contracts import Party
from contracts.samples import OWNER
from contracts.uscc import InvalidUscc, normalise
from market.errors import InvalidInput
from market.registry.records import check_uscc

VALID = "91440200MA4UR12302"


@pytest.mark.parametrize(
    "written",
    [VALID, "91440200ma4ur12302", f"  {VALID}\n", "9144 0200 MA4U R123 02", "91440200-MA4UR1230-2"],
)
def test_a_code_written_with_spaces_hyphens_or_lower_case_is_stored_in_one_form(written: str) -> None:
    assert normalise(written) == VALID


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("9144020MA4UR12302", "it has 17 characters; a USCC has 18 characters"),
        (VALID + "1", "it has 19 characters; a USCC has 18 characters"),
        ("9A440200MA4UR12302", "character 2 ('A') must be a digit"),
        ("91440200MA4UR1230I", "character 18 ('I') cannot appear in a USCC"),
        ("91440200MA4OR12302", "character 12 ('O') cannot appear in a USCC"),
        ("91440200MA4UR12303", "its check character (第18位校验码) is wrong"),
        ("91440200MA4UR12402", "its check character (第18位校验码) is wrong"),
    ],
)
def test_a_wrong_code_is_refused_naming_what_is_wrong(written: str, reason: str) -> None:
    with pytest.raises(InvalidUscc) as caught:
        normalise(written)
    assert caught.value.reason.startswith(reason)
    assert str(caught.value).startswith(f"{written!r} is not a valid unified social credit code")


@pytest.mark.parametrize("written", ["", "   ", None])
def test_a_missing_code_is_called_missing(written: str | None) -> None:
    with pytest.raises(InvalidUscc) as caught:
        normalise(written)
    assert str(caught.value) == "the unified social credit code (统一社会信用代码) is required"


def test_market_refuses_with_the_same_message_and_the_field_it_came_from() -> None:
    assert check_uscc(" 91440200ma4ur12302 ") == VALID
    with pytest.raises(InvalidInput) as caught:
        check_uscc("91440200MA4UR12303", field="avoid")
    assert caught.value.field == "avoid"
    assert "check character (第18位校验码) is wrong" in caught.value.message


def test_a_party_keeps_its_code_in_the_stored_form() -> None:
    # A document's parties are matched against the organisations' stored codes (who may
    # read it); a lower-case code used to stay lower-case and so matched no one.
    party = dataclasses.replace(OWNER, uscc=OWNER.uscc.lower())
    assert party.uscc == OWNER.uscc
    assert Party(name="x", uscc="9144 0200 MA4U R123 02", address="y", representative="z").uscc == VALID
