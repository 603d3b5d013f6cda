"""Stand-alone verifier, part 2: re-compute a whole record from its frozen inputs.

Standard library only; no import from the engine (see ``_verifier_core``).
"""

from __future__ import annotations

from typing import Any

from selection._verifier_core import (
    Refused,
    canonical,
    cents,
    show,
)
from selection._verifier_run import (
    AMOUNT_LIMIT,
    CRITERIA,
    RATE_LIMIT,
    SCORE_LIMIT,
    Run,
    as_int,
    only_keys,
)


def _labels(k: int, total: int) -> list[str]:
    return [f"winner {i + 1}" for i in range(k)] + [f"alternate {i + 1}" for i in range(total - k)]


def _counts(p: dict[str, Any]) -> tuple[int, int]:
    return as_int(p.get("winners"), "winners", 1), as_int(p.get("alternates"), "alternates", 0)


def _price_params(p: dict[str, Any]) -> dict[str, Any]:
    mode = p.get("quote_mode")
    if mode not in ("amount", "discount_rate"):
        raise Refused("params.quote_mode must be amount or discount_rate")
    limit = AMOUNT_LIMIT if mode == "amount" else RATE_LIMIT
    lo = None if p.get("floor") is None else cents(p["floor"], "floor", limit)
    hi = None if p.get("ceiling") is None else cents(p["ceiling"], "ceiling", limit)
    if lo is not None and hi is not None and lo > hi:
        raise Refused("floor is above ceiling")
    ab = only_keys(p.get("abnormal"), {"below_mean_of_others_pct", "below_next_pct"}, "abnormal")
    for key in ("below_mean_of_others_pct", "below_next_pct"):
        if ab.get(key) is not None and (type(ab[key]) is not int or not 1 <= ab[key] <= 99):
            raise Refused(f"abnormal.{key} must be 1-99 or null")
    return {"mode": mode, "limit": limit, "lo": lo, "hi": hi, "abnormal": ab}


def _prices(run: Run, pp: dict[str, Any]) -> dict[str, int]:
    out = {}
    for firm, text in run.firm_map("quotes").items():
        v = cents(text, "quote of " + firm, pp["limit"])
        if (pp["lo"] is not None and v < pp["lo"]) or (pp["hi"] is not None and v > pp["hi"]):
            raise Refused(f"quote of {firm} is outside the floor and ceiling")
        if pp["mode"] == "amount" and v == 0:
            raise Refused(f"quote of {firm} is zero")
        out[firm] = v if pp["mode"] == "amount" else 10000 - v
    return out


def _bid_digests(run: Run) -> None:
    if "bid_digests" in run.inputs:
        for firm, d in run.firm_map("bid_digests").items():
            if not isinstance(d, str) or len(d) != 64 or d.strip("0123456789abcdef"):
                raise Refused(f"bid digest of {firm} is not 64 lowercase hex digits")


def _price_order(run: Run, firms: list[str], price: dict[str, int], ab: dict[str, Any]) -> list[str]:
    by_price: dict[int, list[str]] = {}
    for firm in sorted(firms):
        by_price.setdefault(price[firm], []).append(firm)
    ranked: list[str] = []
    for value in sorted(by_price):
        group = by_price[value]
        if len(group) > 1:
            label = f"tie at rank {len(ranked) + 1}"
            group = run.stream.order(group, label)
        ranked += group
    total, n = sum(price[f] for f in ranked), len(ranked)
    for i, firm in enumerate(ranked):
        v, pct = price[firm], ab.get("below_mean_of_others_pct")
        if pct is not None and n > 1 and v * (n - 1) * 100 <= (total - v) * (100 - pct):
            run.flags.append(
                {"id": firm, "flag": "abnormally_low", "rule": "below_mean_of_others", "threshold_pct": pct}
            )
        pct = ab.get("below_next_pct")
        if pct is not None and i < n - 1 and v * 100 <= price[ranked[i + 1]] * (100 - pct):
            run.flags.append(
                {"id": firm, "flag": "abnormally_low", "rule": "below_next", "threshold_pct": pct}
            )
    return ranked


def _scores(run: Run, firms: list[str], weights: dict[str, int]) -> tuple[list[str], list[Any]]:
    quotes = {f: cents(t, "quote", AMOUNT_LIMIT) for f, t in run.firm_map("quotes").items()}

    def points(name: str) -> dict[str, int]:
        return {f: cents(t, name, SCORE_LIMIT) for f, t in run.firm_map(name).items()}

    credit = points("credit_scores") if weights["credit"] else {}
    evaluation = points("evaluation_scores") if weights["evaluation"] else {}
    technical: dict[str, list[int]] = {}
    if weights["technical"]:
        for f, scores in run.firm_map("technical_scores").items():
            if not isinstance(scores, list) or not scores:
                raise Refused("technical scores must be non-empty lists")
            technical[f] = [cents(s, "technical score", SCORE_LIMIT) for s in scores]
        if len({len(v) for v in technical.values()}) > 1:
            raise Refused("firms were scored by different numbers of reviewers")
    if any(q == 0 for q in quotes.values()):
        raise Refused("a quote is zero")
    best = min(quotes[f] for f in firms)
    rows = {}
    for f in firms:
        q = quotes[f]
        ts = technical.get(f, [0])
        parts = {
            "price": (2 * best * weights["price"] + q) // (2 * q),
            "credit": (credit.get(f, 0) * weights["credit"] * 2 + 10000) // 20000,
            "evaluation": (evaluation.get(f, 0) * weights["evaluation"] * 2 + 10000) // 20000,
            "technical": (2 * sum(ts) * weights["technical"] + 10000 * len(ts)) // (20000 * len(ts)),
        }
        rows[f] = parts, sum(parts.values())
    order = sorted(firms, key=lambda f: -rows[f][1])
    pos = 0
    while pos < len(order):
        end = pos
        while end < len(order) and rows[order[end]][1] == rows[order[pos]][1]:
            end += 1
        if end - pos > 1:
            label = f"tie at rank {pos + 1}"
            order[pos:end] = run.stream.order(order[pos:end], label)
        pos = end
    ranking = []
    for rank, f in enumerate(order, 1):
        parts, total = rows[f]
        entry = {"id": f, "rank": rank, "quote": show(quotes[f]), "total": show(total)}
        for c in CRITERIA:
            entry[c + "_score"] = show(parts[c])
        ranking.append(entry)
    return order, ranking


def _weights(p: dict[str, Any]) -> dict[str, int]:
    w = only_keys(p.get("weights"), set(CRITERIA), "weights")
    if sorted(w) != sorted(CRITERIA):
        raise Refused("weights must name every criterion")
    values = {c: cents(w[c], "weight " + c, SCORE_LIMIT) for c in CRITERIA}
    if sum(values.values()) != 10000:
        raise Refused("weights do not sum to 100.00")
    return values


def _needed_inputs(run: Run, names: set[str]) -> None:
    allowed = {"candidates"} | names
    if set(run.inputs) - allowed:
        raise Refused(f"inputs has unexpected keys {sorted(set(run.inputs) - allowed)}")


def recompute(record: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the whole record from its method, params, rules, inputs and seed reveals."""
    method, p = record["method"], record["params"]
    if not isinstance(p, dict):
        raise Refused("params must be an object")
    variant = p.get("variant") if method == "combined" else None
    if method == "direct":
        only_keys(p, {"firm_id", "reason", "allowed"}, "params")
        if p.get("allowed") is not True or not str(p.get("reason", "")).strip():
            raise Refused("direct selection needs allowed=true and a reason")
        run = Run(record, p, 1, 0, 1, draws=False)
        _needed_inputs(run, set())
        if run.failed:
            return run.result([], [], [])
        if p.get("firm_id") not in run.eligible:
            raise Refused("the firm named for direct selection is not eligible")
        return run.result([{"id": p["firm_id"], "rank": 1}], [p["firm_id"]], [])
    if method == "random":
        only_keys(p, {"winners", "alternates"}, "params")
        k, m = _counts(p)
        run = Run(record, p, k, m, 3, draws=True)
        _needed_inputs(run, set())
        if run.failed:
            return run.result([], [], [])
        n = min(k + m, len(run.eligible))
        got = run.stream.choose(run.eligible, n, _labels(k, n))
        return run.result([{"id": f, "rank": i + 1} for i, f in enumerate(got)], got[:k], got[k:])
    if method == "lowest_price" or variant == "shortlist_price":
        extra = {"variant", "shortlist"} if variant else set()
        allowed = {"quote_mode", "floor", "ceiling", "abnormal", "winners", "alternates"}
        only_keys(p, allowed | extra, "params")
        k, m = _counts(p)
        pp = _price_params(p)
        if variant:
            shortlist = as_int(p.get("shortlist"), "shortlist", k + m)
        run = Run(record, p, k, m, 3, draws=True)
        _needed_inputs(run, {"quotes", "bid_digests"})
        price = _prices(run, pp)
        _bid_digests(run)
        if run.failed:
            return run.result([], [], [])
        firms = run.eligible
        if variant:
            size = min(shortlist, len(firms))
            firms = run.stream.choose(firms, size, [f"shortlist {i + 1}" for i in range(size)])
        ranked = _price_order(run, firms, price, pp["abnormal"])
        quotes = run.inputs["quotes"]
        ranking = [{"id": f, "rank": i + 1, "quote": quotes[f]} for i, f in enumerate(ranked)]
        return run.result(ranking, ranked[:k], ranked[k : k + m])
    if method == "scored" or variant == "top_n":
        extra = {"variant", "top_n"} if variant else set()
        only_keys(p, {"weights", "floor", "ceiling", "winners", "alternates"} | extra, "params")
        k, m = _counts(p)
        weights = _weights(p)
        pp = _price_params({**p, "quote_mode": "amount", "abnormal": {}})
        top_n = as_int(p.get("top_n"), "top_n", k + m) if variant else 0
        run = Run(record, p, k, m, 3, draws=True)
        needed = {"quotes", "bid_digests"} | {
            n
            for n, c in [
                ("credit_scores", "credit"),
                ("evaluation_scores", "evaluation"),
                ("technical_scores", "technical"),
            ]
            if weights[c]
        }
        _needed_inputs(run, needed)
        _prices(run, pp)
        _bid_digests(run)
        order, ranking = _scores(run, run.eligible, weights) if not run.failed else ([], [])
        if run.failed:
            return run.result([], [], [])
        if variant:
            top = order[:top_n]
            n = min(k + m, len(top))
            order = run.stream.choose(top, n, _labels(k, n))
        return run.result(ranking, order[:k], order[k : k + m])
    if variant == "credit_weighted":
        only_keys(p, {"variant", "band_weights", "winners", "alternates"}, "params")
        k, m = _counts(p)
        bands = p.get("band_weights")
        if (
            not isinstance(bands, dict)
            or not bands
            or any(type(w) is not int or w < 0 for w in bands.values())
            or sum(bands.values()) == 0
        ):
            raise Refused("band_weights must be non-negative integers with a positive sum")
        run = Run(record, p, k, m, 3, draws=True)
        _needed_inputs(run, {"credit_bands"})
        band = run.firm_map("credit_bands")
        if any(b not in bands for b in band.values()):
            raise Refused("a firm's credit band has no weight")
        if run.failed:
            return run.result([], [], [])
        firm_weights = [bands[band[f]] for f in run.eligible]
        live = len([w for w in firm_weights if w > 0])
        if live < k:
            raise Refused("fewer firms with a positive weight than winners")
        n = min(k + m, live)
        got = run.stream.choose_weighted(run.eligible, firm_weights, _labels(k, n))
        ranking = [
            {"id": f, "rank": i + 1, "band": band[f], "weight": bands[band[f]]} for i, f in enumerate(got)
        ]
        return run.result(ranking, got[:k], got[k:])
    raise Refused(f"unknown method {method!r} / variant {variant!r}")


__all__ = ["Refused", "canonical", "recompute"]
