"""Combined selection (综合型): three variants, chosen by ``params.variant``.

- ``top_n``: score and rank as :mod:`selection.scored` (ties by the draw), keep the first
  ``top_n`` (fewer if fewer are eligible), then draw winners and alternates uniformly
  among them. Params: ``weights``, ``floor``, ``ceiling``, ``top_n``, ``winners``,
  ``alternates``; firm data as for scored.
- ``credit_weighted``: draw winners then alternates without replacement, each firm weighted
  by the integer weight of its credit band. Params: ``band_weights`` (``{band: int >= 0}``,
  sum > 0), ``winners``, ``alternates``; firm data ``credit_bands`` (``{firm: band}``).
- ``shortlist_price`` ("double random + price"): draw a shortlist of ``shortlist`` firms
  uniformly (fewer if fewer are eligible), then rank the shortlist by lowest price as
  :mod:`selection.lowest_price` (ties by the draw, abnormal quotes flagged within the
  shortlist). Params: ``shortlist``, ``quote_mode``, ``floor``, ``ceiling``, ``abnormal``,
  ``winners``, ``alternates``; firm data ``quotes`` (and optional ``bid_digests``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selection.errors import (
    CountExceedsPool,
    InvalidParameter,
    InvalidWeight,
    MissingParameter,
    UnknownMethod,
)
from selection.lowest_price import (
    abnormal_flags,
    parse_bounds,
    parse_price_params,
    quote_parser,
    rank_by_price,
)
from selection.procedure import check_param_keys, params_of, parse_count, prepare
from selection.record import SelectionRecord
from selection.scored import check_reviewers, firm_fields, parse_scored_params, score_and_rank

METHOD = "combined"
VARIANTS = ("top_n", "credit_weighted", "shortlist_price")
_COUNTS = frozenset({"variant", "winners", "alternates"})
PARAMS = {
    "top_n": _COUNTS | {"weights", "floor", "ceiling", "top_n"},
    "credit_weighted": _COUNTS | {"band_weights"},
    "shortlist_price": _COUNTS | {"shortlist", "quote_mode", "floor", "ceiling", "abnormal"},
}


def _purposes(winners: int, total: int) -> list[str]:
    return [f"winner {i + 1}" for i in range(winners)] + [
        f"alternate {i + 1}" for i in range(total - winners)
    ]


def select(inputs: Mapping[str, Any]) -> SelectionRecord:
    """Run the combined variant named by ``params.variant``."""
    raw = params_of(inputs)
    variant = raw.get("variant")
    if variant is None:
        raise MissingParameter("combined selection needs params.variant", parameter="variant")
    if variant not in VARIANTS:
        raise UnknownMethod(f"combined has no variant {variant!r}", variant=variant)
    check_param_keys(raw, frozenset(PARAMS[variant]), f"combined/{variant}")
    winners = parse_count(raw, "winners", 1, 1)
    alternates = parse_count(raw, "alternates", 0, 0)
    if variant == "top_n":
        return _top_n(inputs, raw, winners, alternates)
    if variant == "credit_weighted":
        return _credit_weighted(inputs, raw, winners, alternates)
    return _shortlist_price(inputs, raw, winners, alternates)


def _top_n(inputs: Mapping[str, Any], raw: Mapping[str, Any], k: int, m: int) -> SelectionRecord:
    params, floor, ceiling = parse_scored_params(raw)
    top_n = parse_count(raw, "top_n", 0, k + m)
    params.update(variant="top_n", top_n=top_n, winners=k, alternates=m)
    procedure = prepare(
        inputs,
        method=METHOD,
        params=params,
        firm_fields=firm_fields(params["weights"], floor, ceiling),
        uses_bids=True,
        draws=True,
        default_minimum=3,
        picks=k,
        alternates=m,
    )
    check_reviewers(procedure.values)
    ranked, entries = score_and_rank(
        procedure.stream, procedure.eligible, procedure.values, params["weights"]
    )
    quotes = procedure.inputs_echo["quotes"]
    for entry in entries:
        entry["quote"] = quotes[entry["id"]]
    top = ranked[:top_n]
    total = min(k + m, len(top))
    picked = [top[i] for i in procedure.stream.sample(len(top), total, _purposes(k, total))]
    return procedure.finish(entries, picked[:k], picked[k:])


def _band_weights(raw: object) -> dict[str, int]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidWeight("band_weights must be a non-empty object of band: integer weight")
    out: dict[str, int] = {}
    for band, weight in raw.items():
        if not isinstance(band, str) or not band:
            raise InvalidWeight("band names are non-empty strings")
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise InvalidWeight(f"weight of band {band} must be an integer", band=band)
        if weight < 0:
            raise InvalidWeight(f"weight of band {band} is negative", band=band)
        out[band] = weight
    if sum(out.values()) == 0:
        raise InvalidWeight("band weights sum to zero")
    return out


def _credit_weighted(inputs: Mapping[str, Any], raw: Mapping[str, Any], k: int, m: int) -> SelectionRecord:
    bands = _band_weights(raw.get("band_weights"))

    def band_of(value: object, where: str) -> tuple[str, str]:
        if not isinstance(value, str) or value not in bands:
            raise InvalidParameter(f"{where}: {value!r} is not a band in band_weights", parameter=where)
        return value, value

    params = {"variant": "credit_weighted", "band_weights": bands, "winners": k, "alternates": m}
    procedure = prepare(
        inputs,
        method=METHOD,
        params=params,
        firm_fields={"credit_bands": band_of},
        uses_bids=False,
        draws=True,
        default_minimum=3,
        picks=k,
        alternates=m,
    )
    eligible = procedure.eligible
    band = procedure.values["credit_bands"]
    weights = [bands[band[f]] for f in eligible]
    drawable = sum(1 for w in weights if w > 0)
    if drawable == 0:
        raise InvalidWeight("every eligible firm has weight zero")
    if drawable < k:
        raise CountExceedsPool(
            f"{k} winners requested but only {drawable} eligible firms have a weight above zero",
            requested=k,
            available=drawable,
        )
    total = min(k + m, drawable)
    picks = procedure.stream.weighted_sample(weights, total, _purposes(k, total))
    picked = [eligible[i] for i in picks]
    ranking = [
        {"id": f, "rank": r, "band": band[f], "weight": bands[band[f]]} for r, f in enumerate(picked, start=1)
    ]
    return procedure.finish(ranking, picked[:k], picked[k:])


def _shortlist_price(inputs: Mapping[str, Any], raw: Mapping[str, Any], k: int, m: int) -> SelectionRecord:
    params = parse_price_params(raw)
    shortlist = parse_count(raw, "shortlist", 0, k + m)
    params.update(variant="shortlist_price", shortlist=shortlist, winners=k, alternates=m)
    floor, ceiling = parse_bounds(raw, params["quote_mode"])
    procedure = prepare(
        inputs,
        method=METHOD,
        params=params,
        firm_fields={"quotes": quote_parser(params["quote_mode"], floor, ceiling)},
        uses_bids=True,
        draws=True,
        default_minimum=3,
        picks=k,
        alternates=m,
    )
    eligible = procedure.eligible
    size = min(shortlist, len(eligible))
    purposes = [f"shortlist {i + 1}" for i in range(size)]
    chosen = [eligible[i] for i in procedure.stream.sample(len(eligible), size, purposes)]
    price = procedure.values["quotes"]
    ranked = rank_by_price(procedure.stream, sorted(chosen), price)
    procedure.flags = abnormal_flags(ranked, price, params["abnormal"])
    quotes = procedure.inputs_echo["quotes"]
    ranking = [{"id": f, "rank": r, "quote": quotes[f]} for r, f in enumerate(ranked, start=1)]
    return procedure.finish(ranking, ranked[:k], ranked[k : k + m])
