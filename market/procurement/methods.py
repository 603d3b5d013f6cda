"""The owner's parameters of a selection method, checked before anything is drawn.

The parameter names and their checks are the selection engine's own (its ``PARAMS`` sets,
:func:`selection.scored.parse_weights`, :func:`selection.lowest_price.parse_price_params`,
:func:`selection.procedure.parse_count`), so a procurement that publishes is one the
engine will accept at the draw. The draft itself supplies winners, alternates, the quote
mode, floor and ceiling, and the variant; the owner gives only the rest. The engine's
refusals are turned into :class:`~market.procurement.problems.Problem`\\ s here rather than
through :mod:`market.outside_errors`, because publication lists every problem instead of
stopping at the first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from market.procurement import limits
from market.procurement.draft import DraftTerms
from market.procurement.problems import Problem
from market.procurement.terms import ProcurementTerms, QuoteMode
from selection import combined, direct, lowest_price, random_draw, scored
from selection.errors import SelectionError
from selection.lowest_price import parse_price_params
from selection.procedure import parse_count
from selection.scored import parse_weights

#: What the draft supplies to the engine itself; the owner never sets these as parameters.
FROM_DRAFT = frozenset({"winners", "alternates", "quote_mode", "floor", "ceiling", "variant", "allowed"})

#: Methods that rank quotes as amounts (the scored price formula divides yuan by yuan).
AMOUNT_ONLY = frozenset({"scored", "combined/top_n"})


def engine_params(method: str, variant: str | None) -> frozenset[str]:
    """Every parameter the engine defines for the method (and variant)."""
    if method == "combined":
        return frozenset(combined.PARAMS.get(variant or "", frozenset()))
    by_method: Mapping[str, frozenset[str]] = {
        "random": random_draw.PARAMS,
        "lowest_price": lowest_price.PARAMS,
        "scored": scored.PARAMS,
        "direct": direct.PARAMS,
    }
    return by_method.get(method, frozenset())


def owner_params(method: str, variant: str | None) -> frozenset[str]:
    """The parameters an owner may give for the method."""
    return engine_params(method, variant) - FROM_DRAFT


def _band_weights(raw: object) -> str | None:
    if not isinstance(raw, Mapping) or not raw:
        return "band_weights is an object of credit band: whole-number weight"
    for band, weight in raw.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            return f"the weight of band {band} is a whole number, 0 or more"
    if sum(raw.values()) == 0:
        return "the band weights add up to 0: nobody could be drawn"
    return None


def _engine(check: Callable[[], object]) -> str | None:
    try:
        check()
    except SelectionError as exc:
        return exc.message
    return None


def method_problems(draft: DraftTerms, terms: ProcurementTerms) -> list[Problem]:
    """Problems with the method's parameters and counts (the method being allowed for the
    kind is checked by the caller)."""
    problems: list[Problem] = []
    params = draft.method_params
    code = draft.method_code
    if isinstance(draft.winners, bool) or not isinstance(draft.winners, int) or draft.winners < 1:
        problems.append(Problem("winners", "at least one firm is selected (winners ≥ 1)"))
    if isinstance(draft.alternates, bool) or not isinstance(draft.alternates, int) or draft.alternates < 0:
        problems.append(Problem("alternates", "alternates (候补) is a whole number, 0 or more"))
    picks = draft.winners + draft.alternates if not problems else 0
    if picks > limits.PICKS:
        problems.append(Problem("alternates", f"winners and alternates together are at most {limits.PICKS}"))
    allowed = owner_params(draft.method, draft.variant)
    for key in params:
        if key not in allowed:
            also = f"; it takes: {', '.join(sorted(allowed))}" if allowed else "; it takes none"
            problems.append(Problem(f"method_params.{key}", f"{code} has no parameter {key!r}{also}"))

    def fail(key: str, message: str | None) -> None:
        if message is not None:
            problems.append(Problem(f"method_params.{key}", message))

    if "weights" in allowed:
        if "weights" not in params:
            fail("weights", "scoring needs the weights of price, credit, evaluation and technical")
        else:
            fail("weights", _engine(lambda: parse_weights(params["weights"])))
    if "abnormal" in allowed and "abnormal" in params:
        fail("abnormal", _engine(lambda: parse_price_params({"abnormal": params["abnormal"]})))
    for key in ("top_n", "shortlist"):
        if key in allowed and picks:
            fail(key, _engine(lambda key=key: parse_count(params, key, 0, picks)))  # type: ignore[misc]
    if "band_weights" in allowed and "band_weights" in params:
        fail("band_weights", _band_weights(params["band_weights"]))
    if draft.method == "direct":
        reason = params.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            fail("reason", "direct selection says why no competition is held (reason)")
        elif len(reason.strip()) > limits.REASON:
            fail("reason", f"the reason is at most {limits.REASON} characters")
        if "firm_id" in params and not (isinstance(params["firm_id"], str) and params["firm_id"].strip()):
            fail("firm_id", "firm_id names the firm chosen, or is left out until the selection")
        if draft.winners != 1 or draft.alternates != 0:
            problems.append(Problem("winners", "direct selection names exactly one firm and no alternates"))
    if code in AMOUNT_ONLY and draft.quote_mode is QuoteMode.DISCOUNT_RATE:
        problems.append(
            Problem("quote_mode", f"{code} scores quotes as amounts; choose amount (报价金额) for it")
        )
    return problems


def engine_inputs(draft: DraftTerms, terms: ProcurementTerms) -> dict[str, Any]:
    """The ``params`` the selection engine is given for this draft at the draw: the owner's
    parameters plus what the draft supplies (floor and ceiling only for methods that bound
    quotes, and in the quote's unit: for a discount rate none, since the money bounds are
    checked on the price a rate implies)."""
    known = engine_params(draft.method, draft.variant)
    params: dict[str, Any] = dict(draft.method_params)
    if draft.method == "direct":
        params["allowed"] = True
    else:
        params.update(winners=draft.winners, alternates=draft.alternates)
    if draft.variant is not None:
        params["variant"] = draft.variant
    if "quote_mode" in known and draft.quote_mode is not None:
        params["quote_mode"] = draft.quote_mode.value
    if "ceiling" in known and draft.quote_mode is QuoteMode.AMOUNT:
        params["ceiling"] = str(draft.ceiling)
        params["floor"] = None if draft.floor is None else str(draft.floor)
    if "band_weights" in known and "band_weights" not in params:
        params["band_weights"] = terms.band_weights
    return params
