"""Builders for the market-draw/2 ceremony tests (a plain module, like selection_testdata)."""

from __future__ import annotations

import copy
import json
from typing import Any

from selection_testdata import firms

from selection import run
from selection.examples_v2 import with_ceremony
from selection.verify import verify_text

REF = "SGZJ-2026-0001"
LOTTERY = ("中国福利彩票3D", "第2026058期", "digits:3", "371")
EVERYONE: dict[str, str | None] = {"platform": "in_time", "owner": "in_time", "supervisor": "in_time"}
QUOTES = {"F001": "90", "F002": "80", "F003": "80", "F004": "120", "F005": "95", "F006": "99.5"}


def random_inputs(
    reveals: dict[str, str | None] | None = None,
    beacon: tuple[str, str, str, str | None] | None = LOTTERY,
    **extra: Any,
) -> dict[str, Any]:
    """v2 inputs for ``random`` over F001..F006 (one winner, one alternate)."""
    inputs = {"procurement_ref": REF, "candidates": firms(6), "params": {"winners": 1, "alternates": 1}}
    inputs.update(extra)
    return with_ceremony("random", inputs, reveals=EVERYONE if reveals is None else reveals, beacon=beacon)


def price_inputs(**extra: Any) -> dict[str, Any]:
    """v2 inputs for ``lowest_price`` with rules (avoidance, rotation) and bid digests."""
    inputs: dict[str, Any] = {
        "procurement_ref": REF,
        "candidates": firms(6),
        "quotes": dict(QUOTES),
        "bid_digests": {f: f"{i:064x}" for i, f in enumerate(firms(6), start=1)},
        "params": {"quote_mode": "amount"},
        "rules": {
            "min_respondents": 2,
            "avoid": [{"id": "F006", "reason": "与业主存在关联关系"}],
            "rotation": {"reference_date": "2026-03-01", "recent_days": 30},
            "win_history": [{"id": "F005", "date": "2026-02-10"}],
        },
    }
    inputs.update(extra)
    return with_ceremony("lowest_price", inputs, reveals=EVERYONE, beacon=LOTTERY)


def record_of(method: str, inputs: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(method, inputs).to_json())
    return data


def verified(data: dict[str, Any]) -> str | None:
    return verify_text(json.dumps(data, ensure_ascii=False))


def edited(data: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the value at ``path`` replaced (or removed if ``...``)."""
    out = copy.deepcopy(data)
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out
