"""Stand-alone verifier, part 2: input normalisation and the re-computation state (``Run``)
shared by the per-method re-computations in ``_verifier_methods``.

Standard library only; no import from the engine (see ``_verifier_core``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from selection._verifier_ceremony import check_ceremony, check_contributions
from selection._verifier_core import (
    Refused,
    Stream,
    check_reveals,
    exclusions,
    seed_value,
)

V1 = ("market.selection-record/1", "draw-v1")
V2 = ("market.selection-record/2", "market-draw/2")

AMOUNT_LIMIT = 10**14
RATE_LIMIT = 9999
SCORE_LIMIT = 10000
CRITERIA = ["price", "credit", "evaluation", "technical"]


def as_int(value: Any, what: str, low: int) -> int:
    if type(value) is not int or value < low:
        raise Refused(f"{what} must be an integer >= {low}")
    return value


def only_keys(obj: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise Refused(f"{what} must be an object")
    extra = set(obj) - allowed
    if extra:
        raise Refused(f"{what} has unknown keys {sorted(extra)}")
    return obj


def as_day(text: Any, what: str) -> str:
    try:
        if not isinstance(text, str) or len(text) != 10:
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise Refused(f"{what}: not a YYYY-MM-DD date") from None


def normal_rules(rules: Any, minimum_default: int) -> dict[str, Any]:
    rules = only_keys(rules, {"min_respondents", "avoid", "rotation", "win_history"}, "rules")
    avoid = sorted(
        ({"id": e["id"], "reason": e["reason"]} for e in rules.get("avoid", [])),
        key=lambda e: e["id"],
    )
    if len({e["id"] for e in avoid}) != len(avoid):
        raise Refused("rules.avoid names a firm twice")
    rot = rules.get("rotation")
    if rot is not None:
        rot = only_keys(rot, {"reference_date", "recent_days", "max_wins", "period_start"}, "rotation")
        rot = {
            "reference_date": as_day(rot.get("reference_date"), "rotation.reference_date"),
            "recent_days": None
            if rot.get("recent_days") is None
            else as_int(rot["recent_days"], "recent_days", 1),
            "max_wins": None if rot.get("max_wins") is None else as_int(rot["max_wins"], "max_wins", 1),
            "period_start": None
            if rot.get("period_start") is None
            else as_day(rot["period_start"], "rotation.period_start"),
        }
        if (rot["max_wins"] is None) != (rot["period_start"] is None):
            raise Refused("rotation.max_wins and rotation.period_start go together")
    history = sorted(
        ({"id": w["id"], "date": as_day(w["date"], "win date")} for w in rules.get("win_history", [])),
        key=lambda w: (w["id"], w["date"]),
    )
    if history and rot is None:
        raise Refused("win_history without rotation")
    if rot is not None and any(w["date"] > rot["reference_date"] for w in history):
        raise Refused("a win is dated after the reference date")
    return {
        "min_respondents": as_int(rules.get("min_respondents", minimum_default), "min_respondents", 1),
        "avoid": avoid,
        "rotation": rot,
        "win_history": history,
    }


class Run:
    """One re-computation: holds the stream and the pieces of the record being rebuilt."""

    def __init__(
        self,
        record: dict[str, Any],
        params: dict[str, Any],
        picks: int,
        extra: int,
        minimum_default: int,
        draws: bool,
    ) -> None:
        self.record = record
        self.method = record["method"]
        self.params = params
        self.rules = normal_rules(record["rules"], minimum_default)
        self.inputs = record["inputs"]
        candidates = self.inputs["candidates"]
        if not isinstance(candidates, list) or any(type(c) is not str or c == "" for c in candidates):
            raise Refused("inputs.candidates must be a list of non-empty firm ids")
        if candidates != sorted(set(candidates)):
            raise Refused("inputs.candidates must be sorted and free of duplicates")
        if picks + extra > len(candidates):
            raise Refused("more winners and alternates than candidates")
        self.version = V2 if record["format"] == V2[0] else V1
        sources: set[str] = set()
        if self.version == V2:
            section, sources, value = check_ceremony(
                record["procurement_ref"],
                self.method,
                params,
                self.rules,
                self.inputs,
                record["ceremony"],
                draws,
            )
            self.seed = {**section, "value": value}
        else:
            seed = record["seed"]
            check_reveals(seed["commitments"], seed["reveals"], draws)
            components, value = seed_value(
                record["procurement_ref"],
                self.method,
                params,
                self.rules,
                self.inputs,
                seed["reveals"],
                seed["beacons"],
            )
            self.seed = {
                "commitments": seed["commitments"],
                "reveals": seed["reveals"],
                "beacons": seed["beacons"],
                "components": components,
                "value": value,
            }
        self.stream = Stream(value)
        self.excluded = exclusions(self.rules, candidates)
        gone = {e["id"] for e in self.excluded}
        self.eligible = [c for c in candidates if c not in gone]
        self.minimum: int = max(self.rules["min_respondents"], picks)
        self.flags: list[dict[str, Any]] = []
        if self.version == V2 and draws and not self.failed:
            check_contributions(sources)

    @property
    def failed(self) -> bool:
        return len(self.eligible) < self.minimum

    def result(self, ranking: list[Any], winners: list[str], alternates: list[str]) -> dict[str, Any]:
        failure = None
        if self.failed:
            failure = {
                "code": "insufficient_respondents",
                "reason": "insufficient respondents",
                "eligible": len(self.eligible),
                "minimum": self.minimum,
            }
        head: dict[str, Any] = {"format": self.version[0], "algorithm": self.version[1]}
        if self.version == V2:
            head["ceremony"] = self.record["ceremony"]
        return {
            **head,
            "method": self.method,
            "procurement_ref": self.record["procurement_ref"],
            "params": self.params,
            "rules": self.rules,
            "inputs": self.inputs,
            "seed": self.seed,
            "exclusions": self.excluded,
            "eligible_count": len(self.eligible),
            "draws": self.stream.log,
            "ranking": ranking,
            "flags": self.flags,
            "winners": winners,
            "alternates": alternates,
            "outcome": "failed" if failure else "selected",
            "failure": failure,
        }

    def firm_map(self, name: str) -> dict[str, Any]:
        data = self.inputs.get(name)
        if not isinstance(data, dict) or sorted(data) != self.inputs["candidates"]:
            raise Refused(f"inputs.{name} must have exactly one entry per candidate")
        return data
