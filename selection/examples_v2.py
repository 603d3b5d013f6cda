"""The ``market-draw/2`` example records (``docs/examples/selection/v2_*.json``).

Built the way the lifecycle builds a real one: commitments at publication
(:func:`selection.ceremony.commitment`), :func:`selection.engine.freeze` at the deadline,
reveals inside (or after) the window, then the beacon. Secrets are derived from fixed text
so that the files are reproducible; real secrets come from ``python -m selection.secret``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from selection.ceremony import commitment
from selection.engine import freeze

FROZEN_AT = "2026-03-02T02:00:00.000000Z"
REVEAL_DEADLINE = "2026-03-03T02:00:00.000000Z"
IN_TIME = {
    "platform": "2026-03-02T02:00:05.000000Z",
    "owner": "2026-03-02T09:14:27.250000Z",
    "supervisor": "2026-03-02T16:40:03.000000Z",
}
LATE = "2026-03-03T02:00:00.000001Z"
BEACON_AT = "2026-03-03T13:30:00.000000Z"
AUDIT_HEAD = "8121:" + hashlib.sha256(b"example audit head").hexdigest()


def example_secret(reference: str, round_number: int, party: str) -> str:
    """A fixed, per-procurement secret for the examples (never do this for real)."""
    text = f"example secret of the {party} for {reference}/{round_number}"
    return hashlib.sha256(text.encode()).hexdigest()


def with_ceremony(
    method: str,
    inputs: dict[str, Any],
    *,
    reveals: dict[str, str | None],
    beacon: tuple[str, str, str, str | None] | None,
    round_number: int = 1,
) -> dict[str, Any]:
    """Add a ceremony to ``inputs``: ``reveals`` maps each committing party to ``"in_time"``,
    ``"late"`` or ``None`` (withheld); ``beacon`` is ``(source, reference, form, value)``."""
    ref = inputs["procurement_ref"]
    frozen = freeze(method, inputs)
    ceremony: dict[str, Any] = {
        "round": round_number,
        "commitments": {
            p: commitment(ref, round_number, p, example_secret(ref, round_number, p)) for p in reveals
        },
        "freeze": {
            "audit_entry": f"audit:{sum(map(ord, ref)) * 7}",
            "frozen_at": FROZEN_AT,
            **frozen["digests"],
        },
        "reveal_deadline": REVEAL_DEADLINE,
        "reveals": {
            p: {
                "secret": example_secret(ref, round_number, p),
                "at": IN_TIME[p] if when == "in_time" else LATE,
            }
            for p, when in reveals.items()
            if when is not None
        },
        "beacon": None,
    }
    if beacon is not None:
        source, reference, form, value = beacon
        ceremony["beacon"] = {
            "source": source,
            "reference": reference,
            "form": form,
            "value": value,
            "at": None if value is None else BEACON_AT,
        }
    return {**inputs, "ceremony": ceremony}


def v2_example_inputs(v1: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The v2 examples, re-using the v1 examples' firms and data without their v1 seed keys."""

    def bare(name: str, ref: str) -> tuple[str, dict[str, Any]]:
        method, inputs = v1[name]
        kept = {k: v for k, v in inputs.items() if k not in ("commitments", "reveals", "beacons")}
        return method, {**kept, "procurement_ref": ref}

    lottery = ("中国福利彩票3D", "第2026058期", "digits:3", "371")
    everyone: dict[str, str | None] = {"platform": "in_time", "owner": "in_time", "supervisor": "in_time"}
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    method, inputs = bare("random", "SGZJ-2026-0201")
    out["v2_random"] = (method, with_ceremony(method, inputs, reveals=everyone, beacon=lottery))
    method, inputs = bare("lowest_price_amount", "SGZJ-2026-0202")
    out["v2_lowest_price_withheld"] = (
        method,
        with_ceremony(
            method,
            inputs,
            reveals={"platform": "in_time", "owner": "late", "supervisor": None},
            beacon=("drand quicknet", "round 16213417", "hex64", hashlib.sha256(b"drand").hexdigest()),
        ),
    )
    method, inputs = bare("scored", "SGZJ-2026-0203")
    out["v2_scored_audit_head"] = (
        method,
        with_ceremony(
            method,
            inputs,
            reveals={"platform": "in_time", "owner": "in_time"},
            beacon=("平台审计链", "选取时刻 2026-03-03 13:30", "audit_head", AUDIT_HEAD),
        ),
    )
    method, inputs = bare("combined_credit_weighted", "SGZJ-2026-0204")
    out["v2_combined_credit_weighted_platform_withheld"] = (
        method,
        with_ceremony(
            method,
            inputs,
            reveals={"platform": None, "owner": "in_time", "supervisor": "in_time"},
            beacon=None,
            round_number=2,
        ),
    )
    method, inputs = bare("direct", "SGZJ-2026-0205")
    out["v2_direct"] = (method, with_ceremony(method, inputs, reveals={}, beacon=None))
    method, inputs = bare("random_insufficient_respondents", "SGZJ-2026-0206")
    out["v2_random_failed_before_reveals"] = (
        method,
        with_ceremony(
            method,
            inputs,
            reveals={"platform": None, "owner": None},
            beacon=(*lottery[:3], None),
        ),
    )
    return out
