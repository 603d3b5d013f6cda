"""Behaviour of each method and of the pre-rules."""

from __future__ import annotations

from typing import Any

import pytest
from selection_testdata import base, firms

from selection import run
from selection.errors import InsufficientRespondents
from selection.verify import verify_text


def test_random_draws_distinct_winners_then_alternates_from_eligible_firms() -> None:
    record = run("random", base(20, params={"winners": 3, "alternates": 4}))
    assert len(record.winners) == 3 and len(record.alternates) == 4
    assert len(set(record.winners + record.alternates)) == 7
    assert [d["purpose"] for d in record.data["draws"]][:4] == [
        "winner 1",
        "winner 2",
        "winner 3",
        "alternate 1",
    ]


def test_random_is_reproducible_and_depends_on_every_reveal() -> None:
    inputs = base(50, params={"winners": 2})
    assert run("random", inputs).data == run("random", inputs).data
    other = base(50, params={"winners": 2}, beacons=[{"source": "drand 1", "value": "9"}])
    assert run("random", other).data["seed"]["value"] != run("random", inputs).data["seed"]["value"]


def test_random_never_picks_avoided_or_rotated_firms() -> None:
    rules = {
        "avoid": [{"id": "F001", "reason": "亲属"}],
        "rotation": {"reference_date": "2024-06-30", "recent_days": 10},
        "win_history": [{"id": "F002", "date": "2024-06-25"}, {"id": "F003", "date": "2024-01-01"}],
    }
    record = run("random", base(5, rules=rules, params={"winners": 1, "alternates": 2}))
    assert set(record.winners + record.alternates) == {"F003", "F004", "F005"}
    assert [(e["id"], e["rule"]) for e in record.data["exclusions"]] == [
        ("F001", "avoidance"),
        ("F002", "rotation_recent"),
    ]


def test_rotation_excludes_firms_with_k_wins_in_the_period() -> None:
    rules = {
        "rotation": {"reference_date": "2024-06-30", "max_wins": 2, "period_start": "2024-01-01"},
        "win_history": [
            {"id": "F001", "date": "2024-02-01"},
            {"id": "F001", "date": "2024-03-01"},
            {"id": "F002", "date": "2023-12-31"},
            {"id": "F002", "date": "2024-03-01"},
        ],
    }
    record = run("random", base(5, rules=rules))
    assert record.data["exclusions"] == [
        {
            "id": "F001",
            "rule": "rotation_period",
            "reason": "2 wins from 2024-01-01 to 2024-06-30, limit 2",
        }
    ]


def test_too_few_eligible_respondents_fails_with_a_verifiable_record() -> None:
    rules = {"avoid": [{"id": "F001", "reason": "回避"}]}
    with pytest.raises(InsufficientRespondents) as caught:
        run("random", base(3, rules=rules))
    failure = caught.value
    assert failure.code == "insufficient_respondents"
    assert failure.details == {"eligible": 2, "minimum": 3}
    assert failure.record.outcome == "failed"
    assert failure.record.data["failure"]["reason"] == "insufficient respondents"
    assert verify_text(failure.record.to_json()) is None


def test_minimum_respondents_is_configurable() -> None:
    record = run("random", base(2, rules={"min_respondents": 2}))
    assert record.outcome == "selected"


def test_direct_selection_records_the_named_firm_and_reason() -> None:
    params = {"firm_id": "F002", "reason": "抢险救灾", "allowed": True}
    record = run("direct", {"procurement_ref": "SG-9", "candidates": firms(3), "params": params})
    assert record.winners == ["F002"]
    assert record.data["params"]["reason"] == "抢险救灾"
    assert record.data["draws"] == []


def test_lowest_price_picks_the_lowest_quote_and_ranks_the_rest() -> None:
    quotes = {"F001": "120", "F002": "99.5", "F003": "100", "F004": "101"}
    record = run("lowest_price", base(4, quotes=quotes, params={"alternates": 2}))
    assert record.winners == ["F002"] and record.alternates == ["F003", "F004"]
    assert [e["quote"] for e in record.data["ranking"]] == ["99.50", "100.00", "101.00", "120.00"]
    assert record.data["draws"] == []


def test_exact_price_ties_are_broken_by_the_draw_and_logged() -> None:
    quotes = {"F001": "100", "F002": "100.00", "F003": "100", "F004": "150"}
    record = run("lowest_price", base(4, quotes=quotes))
    assert record.winners[0] in {"F001", "F002", "F003"}
    assert {d["purpose"] for d in record.data["draws"]} == {"tie at rank 1"}
    assert record.data["ranking"][3]["id"] == "F004"


def test_discount_rate_mode_treats_the_highest_rate_as_the_lowest_price() -> None:
    rates = {"F001": "5", "F002": "12.5", "F003": "8"}
    params = {"quote_mode": "discount_rate", "floor": "0", "ceiling": "20"}
    record = run("lowest_price", base(3, quotes=rates, params=params))
    assert record.winners == ["F002"]


def test_abnormally_low_quotes_are_flagged_not_dropped() -> None:
    quotes = {"F001": "50", "F002": "100", "F003": "105", "F004": "110"}
    record = run("lowest_price", base(4, quotes=quotes))
    assert record.winners == ["F001"]
    assert {(f["id"], f["rule"]) for f in record.data["flags"]} == {
        ("F001", "below_mean_of_others"),
        ("F001", "below_next"),
    }


def test_abnormal_thresholds_are_configurable_and_can_be_switched_off() -> None:
    quotes = {"F001": "50", "F002": "100", "F003": "105"}
    params = {"abnormal": {"below_mean_of_others_pct": None, "below_next_pct": None}}
    assert run("lowest_price", base(3, quotes=quotes, params=params)).data["flags"] == []


def _scored(**overrides: Any) -> dict[str, Any]:
    inputs = base(
        3,
        quotes={"F001": "80", "F002": "100", "F003": "120"},
        credit_scores={"F001": "60", "F002": "90", "F003": "100"},
        technical_scores={"F001": ["70", "80"], "F002": ["90", "95"], "F003": ["60", "61"]},
        params={"weights": {"price": "40", "credit": "20", "technical": "40"}, "alternates": 1},
    )
    inputs.update(overrides)
    return inputs


def test_scored_uses_the_national_price_formula_and_half_up_rounding() -> None:
    record = run("scored", _scored())
    by_id = {e["id"]: e for e in record.data["ranking"]}
    # price: 80/100*40 = 32.00; 80/120*40 = 26.666.. -> 26.67 (half up)
    assert by_id["F002"]["price_score"] == "32.00"
    assert by_id["F003"]["price_score"] == "26.67"
    # technical: mean(60, 61) = 60.5 -> 60.5% of 40 = 24.20; credit 100% of 20 = 20.00
    assert by_id["F003"]["technical_score"] == "24.20"
    assert by_id["F003"]["total"] == "70.87"
    # F002: 32 + 18 + 37 = 87.00 beats F001: 40 + 12 + 30 = 82.00
    assert record.winners == ["F002"] and record.alternates == ["F001"]


def test_scored_half_up_rounds_a_half_hundredth_upwards() -> None:
    inputs = base(
        3,
        quotes={"F001": "1", "F002": "1", "F003": "1"},
        credit_scores={"F001": "0.5", "F002": "0", "F003": "0"},
        params={"weights": {"price": "99", "credit": "1"}},
    )
    by_id = {e["id"]: e for e in run("scored", inputs).data["ranking"]}
    assert by_id["F001"]["credit_score"] == "0.01"  # 0.5 * 1% = 0.005 -> 0.01


def test_scored_ties_are_broken_by_the_draw() -> None:
    inputs = base(4, quotes={f: "100" for f in firms(4)}, params={"weights": {"price": "100"}})
    record = run("scored", inputs)
    assert {d["purpose"] for d in record.data["draws"]} == {"tie at rank 1"}


def test_combined_top_n_draws_among_the_best_scores_only() -> None:
    quotes = {f: str(100 + i) for i, f in enumerate(firms(8))}
    params = {"variant": "top_n", "weights": {"price": "100"}, "top_n": 3, "alternates": 1}
    record = run("combined", base(8, quotes=quotes, params=params))
    assert set(record.winners + record.alternates) <= {"F001", "F002", "F003"}


def test_combined_credit_weighted_never_draws_a_zero_weight_band() -> None:
    bands = {f: ("A" if i < 3 else "D") for i, f in enumerate(firms(6))}
    params = {"variant": "credit_weighted", "band_weights": {"A": 2, "D": 0}, "alternates": 2}
    record = run("combined", base(6, credit_bands=bands, params=params))
    assert set(record.winners + record.alternates) == {"F001", "F002", "F003"}


def test_combined_shortlist_then_lowest_price_among_the_shortlist() -> None:
    quotes = {f: str(100 + i) for i, f in enumerate(firms(10))}
    params = {"variant": "shortlist_price", "shortlist": 4}
    record = run("combined", base(10, quotes=quotes, params=params))
    shortlisted = [e["id"] for e in record.data["ranking"]]
    assert len(shortlisted) == 4
    assert record.winners == [min(shortlisted, key=lambda f: int(quotes[f]))]
