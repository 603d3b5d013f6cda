"""Bad input raises a precise exception naming the problem, and no record is produced."""

from __future__ import annotations

from typing import Any

import pytest
from selection_testdata import OWNER_SECRET, SECRET, base, commit, firms

from selection import errors, run

QUOTES = {f: "100" for f in firms(4)}


@pytest.mark.parametrize(
    ("method", "inputs", "error"),
    [
        ("random", base(candidates=["A", "B", "A"]), errors.DuplicateCandidate),
        ("random", base(4, params={"winners": 3, "alternates": 2}), errors.CountExceedsPool),
        ("random", base(4, params={"winners": 0}), errors.InvalidParameter),
        ("random", base(4, params={"winner": 1}), errors.UnknownParameter),
        ("random", base(4, surprise=1), errors.UnknownParameter),
        ("random", base(4, rules={"avoid": [], "blacklist": []}), errors.UnknownParameter),
        ("lottery", base(4), errors.UnknownMethod),
        ("combined", base(4, params={"variant": "triple_random"}), errors.UnknownMethod),
        ("random", base(4, reveals={"platform": OWNER_SECRET}), errors.RevealMismatch),
        ("random", base(4, commitments={}, reveals={}), errors.MissingCommitment),
        (
            "random",
            base(4, commitments={"platform": commit(SECRET), "owner": commit(OWNER_SECRET)}),
            errors.MissingParameter,
        ),
        (
            "lowest_price",
            base(4, quotes=QUOTES, params={"floor": "200", "ceiling": "100"}),
            errors.FloorAboveCeiling,
        ),
        (
            "lowest_price",
            base(4, quotes={**QUOTES, "F002": "300"}, params={"ceiling": "200"}),
            errors.QuoteOutOfBounds,
        ),
        ("lowest_price", base(4, quotes={**QUOTES, "F002": 99.5}), errors.InvalidAmount),
        ("lowest_price", base(4, quotes={**QUOTES, "F002": "99.555"}), errors.InvalidAmount),
        ("lowest_price", base(4, quotes={"F001": "1"}), errors.MissingFirmData),
        ("lowest_price", base(4, quotes={**QUOTES, "X": "1"}), errors.UnknownCandidate),
        ("scored", base(4, quotes=QUOTES, params={"weights": {"price": "90"}}), errors.InvalidWeight),
        (
            "scored",
            base(4, quotes=QUOTES, params={"weights": {"price": "110", "credit": -10}}),
            errors.InvalidWeight,
        ),
        (
            "combined",
            base(
                4,
                credit_bands={f: "A" for f in firms(4)},
                params={"variant": "credit_weighted", "band_weights": {"A": -1}},
            ),
            errors.InvalidWeight,
        ),
        (
            "combined",
            base(
                4,
                credit_bands={f: "A" for f in firms(4)},
                params={"variant": "credit_weighted", "band_weights": {"A": 0}},
            ),
            errors.InvalidWeight,
        ),
        (
            "direct",
            base(4, params={"firm_id": "F001", "reason": "r", "allowed": False}),
            errors.DirectSelectionNotAllowed,
        ),
        (
            "direct",
            base(4, params={"firm_id": "F009", "reason": "r", "allowed": True}),
            errors.FirmNotEligible,
        ),
    ],
)
def test_bad_input_raises_a_precise_error(
    method: str, inputs: dict[str, Any], error: type[errors.InvalidInput]
) -> None:
    with pytest.raises(error) as caught:
        run(method, inputs)
    assert isinstance(caught.value, errors.InvalidInput)
    assert caught.value.to_dict()["code"] == error.code


def test_a_mismatched_reveal_names_the_party() -> None:
    inputs = base(4)
    inputs["commitments"]["owner"] = commit(OWNER_SECRET)
    inputs["reveals"]["owner"] = SECRET
    with pytest.raises(errors.RevealMismatch) as caught:
        run("random", inputs)
    assert caught.value.details["party"] == "owner"


def test_direct_selection_of_an_avoided_firm_says_why() -> None:
    inputs = base(
        4,
        params={"firm_id": "F001", "reason": "r", "allowed": True},
        rules={"avoid": [{"id": "F001", "reason": "亲属"}]},
    )
    with pytest.raises(errors.FirmNotEligible, match="avoidance"):
        run("direct", inputs)
