"""Rules applied before any method: avoidance (回避), rotation, minimum respondents.

``selection`` has no clock: rotation needs the caller to pass the reference date and the
win history. Exclusions are listed in candidate-id order, one entry per firm, naming the
first rule that applies in the order avoidance, ``rotation_recent``, ``rotation_period``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from selection.errors import InvalidParameter, MissingParameter, UnknownParameter

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RULE_KEYS = frozenset({"min_respondents", "avoid", "rotation", "win_history"})
ROTATION_KEYS = frozenset({"reference_date", "recent_days", "max_wins", "period_start"})


def _date(value: object, name: str) -> date:
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        raise InvalidParameter(f"{name} must be a YYYY-MM-DD date", parameter=name)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidParameter(f"{name}: {value} is not a date", parameter=name) from exc


def _positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameter(f"{name} must be an integer >= {minimum}", parameter=name)
    return value


def _known_keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise UnknownParameter(f"{where}: unknown key {key!r}", parameter=f"{where}.{key}")


def parse_rules(raw: object, default_minimum: int) -> dict[str, Any]:
    """Validate the ``rules`` input and return its normalised form for the record."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidParameter("rules must be an object", parameter="rules")
    _known_keys(raw, RULE_KEYS, "rules")
    minimum = _positive_int(raw.get("min_respondents", default_minimum), "rules.min_respondents")
    avoid: list[dict[str, str]] = []
    seen: set[str] = set()
    for entry in raw.get("avoid") or []:
        if not isinstance(entry, Mapping) or set(entry) != {"id", "reason"}:
            raise InvalidParameter("each avoid entry is {id, reason}", parameter="rules.avoid")
        firm, reason = entry["id"], entry["reason"]
        if not isinstance(firm, str) or not isinstance(reason, str) or not reason.strip():
            raise InvalidParameter(
                "avoid entries need a firm id and a non-empty reason", parameter="rules.avoid"
            )
        if firm in seen:
            raise InvalidParameter(f"avoid lists {firm} twice", parameter="rules.avoid")
        seen.add(firm)
        avoid.append({"id": firm, "reason": reason})
    avoid.sort(key=lambda e: e["id"])
    rotation = _parse_rotation(raw.get("rotation"))
    history: list[dict[str, str]] = []
    for entry in raw.get("win_history") or []:
        if not isinstance(entry, Mapping) or set(entry) != {"id", "date"}:
            raise InvalidParameter("each win is {id, date}", parameter="rules.win_history")
        if not isinstance(entry["id"], str):
            raise InvalidParameter("win ids are strings", parameter="rules.win_history")
        won = _date(entry["date"], "rules.win_history.date")
        if rotation is not None and won > date.fromisoformat(rotation["reference_date"]):
            raise InvalidParameter(
                f"win of {entry['id']} on {won} is after the reference date",
                parameter="rules.win_history",
            )
        history.append({"id": entry["id"], "date": won.isoformat()})
    if history and rotation is None:
        raise MissingParameter("win_history needs rules.rotation", parameter="rules.rotation")
    history.sort(key=lambda e: (e["id"], e["date"]))
    return {
        "min_respondents": minimum,
        "avoid": avoid,
        "rotation": rotation,
        "win_history": history,
    }


def _parse_rotation(raw: object) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidParameter("rules.rotation must be an object", parameter="rules.rotation")
    _known_keys(raw, ROTATION_KEYS, "rules.rotation")
    if "reference_date" not in raw:
        raise MissingParameter("rotation needs reference_date", parameter="reference_date")
    reference = _date(raw["reference_date"], "rules.rotation.reference_date")
    recent = raw.get("recent_days")
    wins = raw.get("max_wins")
    start = raw.get("period_start")
    if recent is not None:
        recent = _positive_int(recent, "rules.rotation.recent_days")
    if wins is not None:
        wins = _positive_int(wins, "rules.rotation.max_wins")
        if start is None:
            raise MissingParameter("max_wins needs period_start", parameter="period_start")
    if start is not None:
        begins = _date(start, "rules.rotation.period_start")
        if wins is None:
            raise MissingParameter("period_start needs max_wins", parameter="max_wins")
        if begins > reference:
            raise InvalidParameter(
                "period_start is after reference_date", parameter="rules.rotation.period_start"
            )
        start = begins.isoformat()
    return {
        "reference_date": reference.isoformat(),
        "recent_days": recent,
        "max_wins": wins,
        "period_start": start,
    }


def _is_candidate(candidates: Sequence[str], firm: str) -> bool:
    at = bisect_left(candidates, firm)
    return at < len(candidates) and candidates[at] == firm


def apply_rules(rules: Mapping[str, Any], candidates: Sequence[str]) -> list[dict[str, str]]:
    """Return the exclusions (``{id, rule, reason}``) for the sorted ``candidates``."""
    found: dict[str, dict[str, str]] = {}
    for entry in rules["avoid"]:
        if _is_candidate(candidates, entry["id"]):
            found[entry["id"]] = {"id": entry["id"], "rule": "avoidance", "reason": entry["reason"]}
    rotation = rules["rotation"]
    if rotation is not None:
        reference = date.fromisoformat(rotation["reference_date"])
        wins: dict[str, list[date]] = {}
        for entry in rules["win_history"]:
            if _is_candidate(candidates, entry["id"]):
                wins.setdefault(entry["id"], []).append(date.fromisoformat(entry["date"]))
        for firm in sorted(wins):
            if firm in found:
                continue
            dates = wins[firm]
            recent = rotation["recent_days"]
            if recent is not None:
                close = [d for d in dates if (reference - d).days < recent]
                if close:
                    found[firm] = {
                        "id": firm,
                        "rule": "rotation_recent",
                        "reason": f"won on {max(close).isoformat()}, within {recent} days "
                        f"before {reference.isoformat()}",
                    }
                    continue
            limit = rotation["max_wins"]
            if limit is not None:
                start = date.fromisoformat(rotation["period_start"])
                count = sum(1 for d in dates if d >= start)
                if count >= limit:
                    found[firm] = {
                        "id": firm,
                        "rule": "rotation_period",
                        "reason": f"{count} wins from {start.isoformat()} to "
                        f"{reference.isoformat()}, limit {limit}",
                    }
    return [found[firm] for firm in sorted(found)]
