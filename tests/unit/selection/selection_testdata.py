"""Shared builders for the selection tests (a plain module: tests/unit has no conftest)."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import strategies as st

SECRET = hashlib.sha256(b"platform secret for tests").hexdigest()
OWNER_SECRET = hashlib.sha256(b"owner secret for tests").hexdigest()


def commit(secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(secret)).hexdigest()


def firms(n: int) -> list[str]:
    return [f"F{i:03d}" for i in range(1, n + 1)]


def base(n: int = 6, **extra: Any) -> dict[str, Any]:
    """Inputs with ``n`` candidates F001..Fnnn and a platform commitment and reveal."""
    inputs: dict[str, Any] = {
        "procurement_ref": "SG-TEST-1",
        "candidates": firms(n),
        "commitments": {"platform": commit(SECRET)},
        "reveals": {"platform": SECRET},
    }
    inputs.update(extra)
    return inputs


# --- hypothesis strategies: inputs of every method, valid or not --------------------------

ids = st.text(alphabet="ABCDEFGH0123456789-中", min_size=1, max_size=4)
money = st.one_of(
    st.integers(min_value=1, max_value=200).map(str),
    st.integers(min_value=1, max_value=20000).map(lambda c: f"{c // 100}.{c % 100:02d}"),
)
score = st.integers(min_value=0, max_value=10000).map(lambda c: f"{c // 100}.{c % 100:02d}")


@st.composite
def rules(draw: st.DrawFn, candidates: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"min_respondents": draw(st.integers(1, 4))}
    avoided = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=2))
    out["avoid"] = [{"id": f, "reason": "关联关系"} for f in avoided]
    if draw(st.booleans()):
        out["rotation"] = {
            "reference_date": "2024-06-30",
            "recent_days": draw(st.integers(1, 60)),
            "max_wins": 2,
            "period_start": "2024-01-01",
        }
        wins = draw(st.lists(st.tuples(st.sampled_from(candidates), st.integers(1, 180)), max_size=5))
        out["win_history"] = [{"id": f, "date": f"2024-{1 + d // 30:02d}-{1 + d % 28:02d}"} for f, d in wins]
    return out


@st.composite
def selection_inputs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A (method, inputs) pair across all methods, with many ties and exclusions."""
    candidates = draw(st.lists(ids, min_size=1, max_size=25, unique=True))
    method = draw(
        st.sampled_from(
            ["direct", "random", "lowest_price", "scored", "top_n", "credit_weighted", "shortlist_price"]
        )
    )
    k = draw(st.integers(1, 3))
    m = draw(st.integers(0, 3))
    inputs = base(0, candidates=candidates, rules=draw(rules(candidates)))
    inputs["procurement_ref"] = draw(st.sampled_from(["SG-1", "韶关-2024-07"]))
    if draw(st.booleans()):
        inputs["commitments"]["owner"] = commit(OWNER_SECRET)
        inputs["reveals"]["owner"] = OWNER_SECRET
    if draw(st.booleans()):
        inputs["beacons"] = [{"source": "drand", "value": draw(st.text("0123456789", min_size=1))}]
    few_prices = st.sampled_from(["90", "95.5", "100", "100.00", "40", "120"])
    prices = draw(st.one_of(st.just(few_prices), st.just(money)))
    quotes = {c: draw(prices) for c in candidates}
    counts = {"winners": k, "alternates": m}
    if method == "direct":
        inputs["params"] = {"firm_id": draw(st.sampled_from(candidates)), "reason": "应急", "allowed": True}
        return "direct", inputs
    if method == "random":
        inputs["params"] = counts
        return "random", inputs
    if method in ("lowest_price", "shortlist_price"):
        mode = draw(st.sampled_from(["amount", "discount_rate"]))
        if mode == "discount_rate":
            quotes = {c: draw(st.sampled_from(["0", "5", "12.5", "30", "45.25"])) for c in candidates}
        inputs["quotes"] = quotes
        params: dict[str, Any] = {"quote_mode": mode, **counts}
        params["abnormal"] = {
            "below_mean_of_others_pct": draw(st.sampled_from([None, 10, 40])),
            "below_next_pct": draw(st.sampled_from([None, 5, 30])),
        }
        if method == "shortlist_price":
            params.update(variant="shortlist_price", shortlist=k + m + draw(st.integers(0, 4)))
            return "combined", {**inputs, "params": params}
        return "lowest_price", {**inputs, "params": params}
    if method == "credit_weighted":
        bands = {"A": draw(st.integers(0, 5)), "B": draw(st.integers(0, 3)), "C": 1}
        inputs["credit_bands"] = {c: draw(st.sampled_from(sorted(bands))) for c in candidates}
        inputs["params"] = {"variant": "credit_weighted", "band_weights": bands, **counts}
        return "combined", inputs
    weights = draw(
        st.sampled_from(
            [
                {"price": "100"},
                {"price": "30", "credit": "10", "evaluation": "10", "technical": "50"},
                {"price": "33.33", "credit": "66.67"},
                {"technical": "60", "price": "40"},
            ]
        )
    )
    inputs["quotes"] = quotes
    if "credit" in weights:
        inputs["credit_scores"] = {c: draw(score) for c in candidates}
    if "evaluation" in weights:
        inputs["evaluation_scores"] = {c: draw(score) for c in candidates}
    if "technical" in weights:
        reviewers = draw(st.integers(1, 3))
        inputs["technical_scores"] = {
            c: draw(st.lists(score, min_size=reviewers, max_size=reviewers)) for c in candidates
        }
    params = {"weights": weights, **counts}
    if method == "top_n":
        params.update(variant="top_n", top_n=k + m + draw(st.integers(0, 3)))
        return "combined", {**inputs, "params": params}
    return "scored", {**inputs, "params": params}
