"""Scored selection (综合评分 / 择优): weighted criteria, fixed-point, ties by the draw.

Params: ``weights`` ``{"price", "credit", "evaluation", "technical"}`` (points with two
places, each >= 0, summing to exactly 100.00; absent keys are 0), optional ``floor`` /
``ceiling`` on quotes (yuan), ``winners`` (default 1), ``alternates`` (default 0).

Firm data: ``quotes`` (yuan, > 0) always; ``credit_scores`` and ``evaluation_scores``
(0–100, two places) and ``technical_scores`` (a list of reviewers' 0–100 scores, the same
number of reviewers for every firm) when their weight is above zero.

Every score is an integer number of hundredths of a point, each component rounded half up
to two places on its own, and the total is the sum of the rounded components:

- price = benchmark / quote × W_price, benchmark = lowest eligible quote (national formula)
- credit = credit_score / 100 × W_credit; evaluation likewise
- technical = mean(reviewers' scores) / 100 × W_technical

Ranking is by total, highest first; equal totals are ordered by the draw ("tie at rank r").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from selection.canonical import format_hundredths, to_hundredths
from selection.draw import DrawStream
from selection.errors import InvalidAmount, InvalidParameter, InvalidWeight, MissingFirmData
from selection.lowest_price import MAX_AMOUNT_FEN, parse_bounds, quote_parser
from selection.procedure import FirmParser, check_param_keys, params_of, parse_count, prepare
from selection.record import SelectionRecord

METHOD = "scored"
PARAMS = frozenset({"weights", "floor", "ceiling", "winners", "alternates"})
CRITERIA = ("price", "credit", "evaluation", "technical")
FULL_SCORE = 10000  # 100.00 points in hundredths
IntArray = npt.NDArray[np.int64]


def parse_weights(raw: object) -> dict[str, str]:
    """Normalise criterion weights; they must be >= 0 and sum to exactly 100.00."""
    if not isinstance(raw, Mapping):
        raise InvalidWeight("weights must be an object of criterion: points")
    check_param_keys(raw, frozenset(CRITERIA), "weights")
    out: dict[str, int] = {}
    for name in CRITERIA:
        value = raw.get(name, "0")
        if str(value).lstrip().startswith("-"):
            raise InvalidWeight(f"weight {name} is negative", criterion=name)
        try:
            out[name] = to_hundredths(value, f"weights.{name}", maximum=FULL_SCORE)
        except InvalidAmount as exc:
            raise InvalidWeight(f"weight {name}: {exc.message}", criterion=name) from None
    if sum(out.values()) != FULL_SCORE:
        raise InvalidWeight(
            f"weights sum to {format_hundredths(sum(out.values()))}, not 100.00",
            total=format_hundredths(sum(out.values())),
        )
    return {name: format_hundredths(v) for name, v in out.items()}


def _score(raw: object, where: str) -> tuple[str, int]:
    value = to_hundredths(raw, where, maximum=FULL_SCORE)
    return format_hundredths(value), value


def _reviewer_scores(raw: object, where: str) -> tuple[list[str], tuple[int, int]]:
    if not isinstance(raw, list) or not raw:
        raise MissingFirmData(f"{where} must be a non-empty list of reviewers' scores")
    parsed = [to_hundredths(s, where, maximum=FULL_SCORE) for s in raw]
    return [format_hundredths(v) for v in parsed], (sum(parsed), len(parsed))


def firm_fields(weights: Mapping[str, str], floor: int | None, ceiling: int | None) -> dict[str, FirmParser]:
    """Return the firm-data parsers the given weights need (quotes are always needed)."""
    fields: dict[str, FirmParser] = {"quotes": quote_parser("amount", floor, ceiling)}
    if weights["credit"] != "0.00":
        fields["credit_scores"] = _score
    if weights["evaluation"] != "0.00":
        fields["evaluation_scores"] = _score
    if weights["technical"] != "0.00":
        fields["technical_scores"] = _reviewer_scores
    return fields


def score_arrays(
    quotes: IntArray,
    credit: IntArray,
    evaluation: IntArray,
    technical_sum: IntArray,
    reviewers: IntArray,
    weights: Mapping[str, int],
) -> dict[str, IntArray]:
    """Vectorised component scores and totals, all in integer hundredths of a point.

    Half-up rounding of a non-negative ``a / b`` is ``(2a + b) // (2b)``. Inputs are capped
    (quotes <= 1e14 fen, scores <= 10000) so every intermediate fits in int64.
    """
    benchmark = quotes.min()
    wp, wc, we, wt = (weights[c] for c in CRITERIA)
    price = (2 * benchmark * wp + quotes) // (2 * quotes)
    credit_s = (2 * credit * wc + FULL_SCORE) // (2 * FULL_SCORE)
    evaluation_s = (2 * evaluation * we + FULL_SCORE) // (2 * FULL_SCORE)
    denominator = reviewers * FULL_SCORE
    technical_s = (2 * technical_sum * wt + denominator) // (2 * denominator)
    return {
        "price": price,
        "credit": credit_s,
        "evaluation": evaluation_s,
        "technical": technical_s,
        "total": price + credit_s + evaluation_s + technical_s,
    }


def rank_by_total(stream: DrawStream, total: IntArray) -> list[int]:
    """Return indices by descending total; equal totals are ordered by the draw.

    Indices refer to firms in id order; before the draw, equal totals stay in id order.
    """
    order = np.argsort(-total, kind="stable")
    ordered_total = total[order]
    breaks = np.flatnonzero(np.diff(ordered_total)) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(order)]))
    result: list[int] = order.tolist()
    for start, end in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(), strict=True):
        group = result[start:end]
        shuffled = stream.order_tie(end - start, f"tie at rank {start + 1}")
        result[start:end] = [group[k] for k in shuffled]
    return result


def score_and_rank(
    stream: DrawStream,
    firms: Sequence[str],
    values: Mapping[str, Mapping[str, Any]],
    weights: Mapping[str, str],
) -> tuple[list[str], list[dict[str, Any]]]:
    """Score the eligible ``firms`` (in id order) and return (ranked ids, ranking entries)."""
    n = len(firms)
    w = {c: to_hundredths(weights[c], c) for c in CRITERIA}
    zeros = np.zeros(n, dtype=np.int64)

    def column(name: str) -> IntArray:
        if name not in values:
            return zeros
        data = values[name]
        return np.fromiter((data[f] for f in firms), dtype=np.int64, count=n)

    if "technical_scores" in values:
        tech = values["technical_scores"]
        tech_sum = np.fromiter((tech[f][0] for f in firms), dtype=np.int64, count=n)
        reviewers = np.fromiter((tech[f][1] for f in firms), dtype=np.int64, count=n)
    else:
        tech_sum, reviewers = zeros, np.ones(n, dtype=np.int64)
    scores = score_arrays(
        column("quotes"),
        column("credit_scores"),
        column("evaluation_scores"),
        tech_sum,
        reviewers,
        w,
    )
    order = rank_by_total(stream, scores["total"])
    text = {name: [format_hundredths(v) for v in arr.tolist()] for name, arr in scores.items()}
    ranked = [firms[i] for i in order]
    entries = [
        {
            "id": firms[i],
            "rank": rank,
            "price_score": text["price"][i],
            "credit_score": text["credit"][i],
            "evaluation_score": text["evaluation"][i],
            "technical_score": text["technical"][i],
            "total": text["total"][i],
        }
        for rank, i in enumerate(order, start=1)
    ]
    return ranked, entries


def parse_scored_params(raw: Mapping[str, Any]) -> tuple[dict[str, Any], int | None, int | None]:
    """Normalise weights and quote bounds; return (params, floor, ceiling)."""
    if "weights" not in raw:
        raise InvalidWeight("scored selection needs weights")
    floor, ceiling = parse_bounds(raw, "amount")
    params: dict[str, Any] = {
        "weights": parse_weights(raw["weights"]),
        "floor": None if floor is None else format_hundredths(floor),
        "ceiling": None if ceiling is None else format_hundredths(ceiling),
    }
    return params, floor, ceiling


def select(inputs: Mapping[str, Any]) -> SelectionRecord:
    """Score every eligible firm, rank by total, take winners and alternates in order."""
    raw = params_of(inputs)
    check_param_keys(raw, PARAMS, METHOD)
    params, floor, ceiling = parse_scored_params(raw)
    params["winners"] = parse_count(raw, "winners", 1, 1)
    params["alternates"] = parse_count(raw, "alternates", 0, 0)
    fields = firm_fields(params["weights"], floor, ceiling)
    procedure = prepare(
        inputs,
        method=METHOD,
        params=params,
        firm_fields=fields,
        uses_bids=True,
        draws=True,
        default_minimum=3,
        picks=params["winners"],
        alternates=params["alternates"],
    )
    check_reviewers(procedure.values)
    ranked, entries = score_and_rank(
        procedure.stream, procedure.eligible, procedure.values, params["weights"]
    )
    quotes = procedure.inputs_echo["quotes"]
    for entry in entries:
        entry["quote"] = quotes[entry["id"]]
    k, m = params["winners"], params["alternates"]
    return procedure.finish(entries, ranked[:k], ranked[k : k + m])


def check_reviewers(values: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse technical scores given by different numbers of reviewers."""
    if "technical_scores" in values:
        counts = {count for _, count in values["technical_scores"].values()}
        if len(counts) > 1:
            raise InvalidParameter(
                "every firm needs the same number of reviewers' scores",
                parameter="technical_scores",
            )


assert MAX_AMOUNT_FEN * 2 * FULL_SCORE < 2**63  # int64 headroom for the price formula
