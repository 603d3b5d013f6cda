"""Direct selection (直接选取): the owner names one eligible firm, with a reason.

Params: ``firm_id`` (the firm named), ``reason`` (non-empty text, published in the record)
and ``allowed`` (must be ``true``: the lifecycle sets it from the procurement's rules, and
direct selection is refused otherwise). Nothing is drawn, so no commitment is required;
if commitments are given they are still checked and folded into the seed, which binds
the record's inputs. ``rules.min_respondents`` defaults to 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selection.errors import (
    DirectSelectionNotAllowed,
    FirmNotEligible,
    InvalidParameter,
    MissingParameter,
)
from selection.procedure import check_param_keys, params_of, prepare
from selection.record import SelectionRecord

METHOD = "direct"
PARAMS = frozenset({"firm_id", "reason", "allowed"})


def select(inputs: Mapping[str, Any]) -> SelectionRecord:
    """Record the owner's direct choice of ``params.firm_id`` after the pre-rules."""
    raw = params_of(inputs)
    check_param_keys(raw, PARAMS, METHOD)
    for key in ("firm_id", "reason"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise MissingParameter(f"direct selection needs params.{key}", parameter=key)
    allowed = raw.get("allowed", False)
    if not isinstance(allowed, bool):
        raise InvalidParameter("params.allowed must be true or false", parameter="allowed")
    if not allowed:
        raise DirectSelectionNotAllowed("the procurement's rules do not allow direct selection")
    params = {"firm_id": raw["firm_id"], "reason": raw["reason"], "allowed": True}
    procedure = prepare(
        inputs,
        method=METHOD,
        params=params,
        firm_fields={},
        uses_bids=False,
        draws=False,
        default_minimum=1,
        picks=1,
    )
    firm = params["firm_id"]
    if firm not in procedure.eligible:
        why = next((e for e in procedure.exclusions if e["id"] == firm), None)
        raise FirmNotEligible(
            f"{firm} is not an eligible candidate"
            + (f" (excluded by {why['rule']}: {why['reason']})" if why else ""),
            firm_id=firm,
        )
    return procedure.finish([{"id": firm, "rank": 1}], [firm], [])
