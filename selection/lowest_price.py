"""Lowest-price selection (竞价选取): lowest valid quote wins; exact ties by the draw.

Params:

- ``quote_mode``: ``"amount"`` (yuan, two places, default) or ``"discount_rate"`` (下浮率,
  percent with two places, below 100; a higher rate is a lower price).
- ``floor`` / ``ceiling``: bounds in the quote's own unit, inclusive, or ``null``. A quote
  outside them is bad input (:class:`~selection.errors.QuoteOutOfBounds`).
- ``abnormal``: ``{"below_mean_of_others_pct": 40, "below_next_pct": 30}`` (integers 1–99,
  or ``null`` to switch a test off). Flagged quotes stay in the ranking; the owner confirms.
- ``winners`` (default 1), ``alternates`` (default 0): taken from the top of the ranking.

Prices compare as integers: an amount is its fen; a discount rate ``r`` (in hundredths of a
percent) compares as ``10000 - r``, which is proportional to the price it implies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from selection.canonical import format_hundredths, to_hundredths
from selection.draw import DrawStream
from selection.errors import FloorAboveCeiling, InvalidAmount, InvalidParameter, QuoteOutOfBounds
from selection.procedure import check_param_keys, params_of, parse_count, prepare
from selection.record import SelectionRecord

METHOD = "lowest_price"
PARAMS = frozenset({"quote_mode", "floor", "ceiling", "abnormal", "winners", "alternates"})
MAX_AMOUNT_FEN = 10**14  # 1e12 yuan: keeps scored arithmetic inside int64
MAX_RATE = 9999  # 99.99 %
ABNORMAL_DEFAULTS = {"below_mean_of_others_pct": 40, "below_next_pct": 30}


def parse_bounds(raw: Mapping[str, Any], mode: str) -> tuple[int | None, int | None]:
    """Return ``(floor, ceiling)`` in hundredths, refusing ``floor > ceiling``."""
    limit = MAX_AMOUNT_FEN if mode == "amount" else MAX_RATE
    bounds: list[int | None] = []
    for name in ("floor", "ceiling"):
        value = raw.get(name)
        bounds.append(None if value is None else to_hundredths(value, name, maximum=limit))
    floor, ceiling = bounds
    if floor is not None and ceiling is not None and floor > ceiling:
        raise FloorAboveCeiling(
            f"floor {format_hundredths(floor)} is above ceiling {format_hundredths(ceiling)}",
            floor=format_hundredths(floor),
            ceiling=format_hundredths(ceiling),
        )
    return floor, ceiling


def quote_parser(
    mode: str, floor: int | None, ceiling: int | None
) -> Callable[[object, str], tuple[str, int]]:
    """Return a firm-data parser for quotes: (normalised string, comparable price value)."""
    limit = MAX_AMOUNT_FEN if mode == "amount" else MAX_RATE

    def parse(raw: object, where: str) -> tuple[str, int]:
        value = to_hundredths(raw, where, maximum=limit)
        if mode == "amount" and value == 0:
            raise InvalidAmount(f"{where}: a quote must be above zero", field=where)
        if (floor is not None and value < floor) or (ceiling is not None and value > ceiling):
            firm = where.split(".", 1)[1]
            raise QuoteOutOfBounds(
                f"quote {format_hundredths(value)} of {firm} is outside [{_show(floor)}, {_show(ceiling)}]",
                firm_id=firm,
                quote=format_hundredths(value),
            )
        return format_hundredths(value), value if mode == "amount" else 10000 - value

    return parse


def _show(bound: int | None) -> str:
    return "-" if bound is None else format_hundredths(bound)


def parse_price_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise ``quote_mode``, ``floor``, ``ceiling`` and ``abnormal``."""
    mode = raw.get("quote_mode", "amount")
    if mode not in ("amount", "discount_rate"):
        raise InvalidParameter("quote_mode is amount or discount_rate", parameter="quote_mode")
    floor, ceiling = parse_bounds(raw, mode)
    abnormal_raw = raw.get("abnormal", ABNORMAL_DEFAULTS)
    if not isinstance(abnormal_raw, Mapping):
        raise InvalidParameter("abnormal must be an object", parameter="abnormal")
    check_param_keys(abnormal_raw, frozenset(ABNORMAL_DEFAULTS), "abnormal")
    abnormal: dict[str, int | None] = {}
    for key, default in ABNORMAL_DEFAULTS.items():
        pct = abnormal_raw.get(key, default)
        if pct is not None and (isinstance(pct, bool) or not isinstance(pct, int) or not 1 <= pct <= 99):
            raise InvalidParameter(f"abnormal.{key} is an integer 1-99 or null", parameter=key)
        abnormal[key] = pct
    return {
        "quote_mode": mode,
        "floor": None if floor is None else format_hundredths(floor),
        "ceiling": None if ceiling is None else format_hundredths(ceiling),
        "abnormal": abnormal,
    }


def rank_by_price(stream: DrawStream, firms: Sequence[str], price: Mapping[str, int]) -> list[str]:
    """Order ``firms`` by ascending price; each group of equal prices is ordered by the draw.

    Groups are resolved from the cheapest up; a group starting at rank ``r`` logs its draws
    as ``"tie at rank r"``.
    """
    ordered = sorted(firms, key=lambda f: (price[f], f))
    out: list[str] = []
    i = 0
    while i < len(ordered):
        j = i + 1
        while j < len(ordered) and price[ordered[j]] == price[ordered[i]]:
            j += 1
        group = ordered[i:j]
        if len(group) > 1:
            group = [group[k] for k in stream.order_tie(len(group), f"tie at rank {i + 1}")]
        out.extend(group)
        i = j
    return out


def abnormal_flags(
    ranked: Sequence[str], price: Mapping[str, int], abnormal: Mapping[str, int | None]
) -> list[dict[str, Any]]:
    """Flag abnormally low quotes (exact integer tests, see the module docstring)."""
    flags: list[dict[str, Any]] = []
    n = len(ranked)
    total = sum(price[f] for f in ranked)
    mean_pct = abnormal["below_mean_of_others_pct"]
    next_pct = abnormal["below_next_pct"]
    for i, firm in enumerate(ranked):
        v = price[firm]
        # v <= (1 - p/100) * mean(others), cross-multiplied to stay in integers
        if mean_pct is not None and n > 1 and 100 * v * (n - 1) <= (100 - mean_pct) * (total - v):
            flags.append(
                {
                    "id": firm,
                    "flag": "abnormally_low",
                    "rule": "below_mean_of_others",
                    "threshold_pct": mean_pct,
                }
            )
        if next_pct is not None and i + 1 < n and 100 * v <= (100 - next_pct) * price[ranked[i + 1]]:
            flags.append(
                {
                    "id": firm,
                    "flag": "abnormally_low",
                    "rule": "below_next",
                    "threshold_pct": next_pct,
                }
            )
    return flags


def select(inputs: Mapping[str, Any]) -> SelectionRecord:
    """Rank eligible quotes from lowest price up and take winners and alternates in order."""
    raw = params_of(inputs)
    check_param_keys(raw, PARAMS, METHOD)
    params = parse_price_params(raw)
    params["winners"] = parse_count(raw, "winners", 1, 1)
    params["alternates"] = parse_count(raw, "alternates", 0, 0)
    floor, ceiling = parse_bounds(raw, params["quote_mode"])
    procedure = prepare(
        inputs,
        method=METHOD,
        params=params,
        firm_fields={"quotes": quote_parser(params["quote_mode"], floor, ceiling)},
        uses_bids=True,
        draws=True,
        default_minimum=3,
        picks=params["winners"],
        alternates=params["alternates"],
    )
    price = procedure.values["quotes"]
    ranked = rank_by_price(procedure.stream, procedure.eligible, price)
    procedure.flags = abnormal_flags(ranked, price, params["abnormal"])
    quotes = procedure.inputs_echo["quotes"]
    ranking = [{"id": f, "rank": r, "quote": quotes[f]} for r, f in enumerate(ranked, start=1)]
    k, m = params["winners"], params["alternates"]
    return procedure.finish(ranking, ranked[:k], ranked[k : k + m])
