"""Stand-alone verifier, part 1: encoding, numbers, the draw-v1 stream, seed and pre-rules.

This is a second implementation written from ``docs/draw-spec.md``. It imports nothing
from the engine and nothing outside the Python standard library, so that an auditor can
run it on a bare CPython. Keep it that way.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

PARTY_ORDER = ["platform", "owner", "supervisor"]


class Refused(Exception):
    """The record cannot be re-computed (its inputs are invalid or it is malformed)."""


def canonical(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, no escaping of non-ASCII."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def digest(data: bytes) -> str:
    """SHA-256 as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def cents(text: Any, what: str, limit: int) -> int:
    """Read a record number: a string ``<digits>.<two digits>``, no leading zeros."""
    if not isinstance(text, str):
        raise Refused(f"{what}: expected a decimal string, found {text!r}")
    whole, dot, frac = text.partition(".")
    ok = (
        dot == "."
        and len(frac) == 2
        and frac.isdigit()
        and whole.isdigit()
        and whole.isascii()
        and frac.isascii()
        and (whole == "0" or not whole.startswith("0"))
    )
    if not ok:
        raise Refused(f"{what}: {text!r} is not a two-place decimal")
    value = int(whole) * 100 + int(frac)
    if value > limit:
        raise Refused(f"{what}: {text} is above the allowed maximum")
    return value


def show(value: int) -> str:
    """Hundredths to a two-place string."""
    whole, part = divmod(value, 100)
    return f"{whole}.{part:02d}"


class Stream:
    """draw-v1: bytes from SHA-256(seed || u64be(block)), integers by masked rejection."""

    def __init__(self, seed_hex: str) -> None:
        self.seed = bytes.fromhex(seed_hex)
        self.pending = bytearray()
        self.counter = 0
        self.log: list[dict[str, Any]] = []

    def read(self, count: int) -> bytes:
        while len(self.pending) < count:
            self.pending += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        chunk = bytes(self.pending[:count])
        del self.pending[:count]
        return chunk

    def below(self, bound: int, purpose: str) -> int:
        bits = (bound - 1).bit_length()
        nbytes = -(-bits // 8)
        rejected: list[int] = []
        while True:
            candidate = int.from_bytes(self.read(nbytes), "big") % (1 << bits)
            if candidate < bound:
                self.log.append(
                    {"purpose": purpose, "bound": bound, "value": candidate, "rejected": rejected}
                )
                return candidate
            rejected.append(candidate)

    def choose(self, items: list[Any], count: int, labels: list[str]) -> list[Any]:
        """Partial Fisher–Yates over a copy of ``items``; returns the first ``count``."""
        pool = list(items)
        for i in range(count):
            j = i + self.below(len(pool) - i, labels[i])
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:count]

    def order(self, items: list[Any], label: str) -> list[Any]:
        """A whole tie group shuffled by Fisher–Yates with len - 1 draws."""
        pool = list(items)
        for i in range(len(pool) - 1):
            j = i + self.below(len(pool) - i, label)
            pool[i], pool[j] = pool[j], pool[i]
        return pool

    def choose_weighted(self, items: list[Any], weights: list[int], labels: list[str]) -> list[Any]:
        live = list(zip(items, weights, strict=True))
        out = []
        for label in labels:
            target = self.below(sum(w for _, w in live), label)
            acc = 0
            for pos, (item, weight) in enumerate(live):
                acc += weight
                if target < acc:
                    out.append(item)
                    live[pos] = (item, 0)
                    break
        return out


def seed_value(
    ref: str,
    method: str,
    params: Any,
    rules: Any,
    inputs: dict[str, Any],
    reveals: dict[str, str],
    beacons: list[dict[str, str]],
) -> tuple[dict[str, str], str]:
    """Recompute the seed components and the seed (see the spec's "Seed" section)."""

    def field(tag: str, value: str) -> bytes:
        t, v = tag.encode(), value.encode()
        return len(t).to_bytes(2, "big") + t + len(v).to_bytes(4, "big") + v

    firm_data = {k: v for k, v in inputs.items() if k not in ("candidates", "bid_digests")}
    components = {
        "configuration": digest(canonical({"params": params, "rules": rules})),
        "candidates": digest(canonical(inputs["candidates"])),
        "firm_data": digest(canonical(firm_data)),
    }
    material = field("domain", "market/draw-v1/seed") + field("procurement", ref)
    material += field("method", method)
    for name in ("configuration", "candidates", "firm_data"):
        material += field(name, components[name])
    bids = inputs.get("bid_digests", {})
    for firm in sorted(bids):
        material += field("bid", canonical([firm, bids[firm]]).decode())
    for party in PARTY_ORDER:
        if party in reveals:
            material += field("reveal", canonical([party, reveals[party]]).decode())
    for beacon in beacons:
        material += field("beacon", canonical([beacon["source"], beacon["value"]]).decode())
    return components, digest(material)


def check_reveals(commitments: Any, reveals: Any, needs_platform: bool) -> None:
    """Every committed party revealed a secret hashing to its commitment, and only those."""
    if not isinstance(commitments, dict) or not isinstance(reveals, dict):
        raise Refused("seed.commitments and seed.reveals must be objects")
    if set(commitments) != set(reveals) or not set(commitments) <= set(PARTY_ORDER):
        raise Refused("the parties that revealed are not the parties that committed")
    if needs_platform and "platform" not in commitments:
        raise Refused("a method that draws needs the platform's commitment")
    for party, secret in reveals.items():
        try:
            raw = bytes.fromhex(secret)
        except (TypeError, ValueError):
            raise Refused(f"reveal of {party} is not hex") from None
        if secret != raw.hex() or len(raw) < 16:
            raise Refused(f"reveal of {party} is not lowercase hex of at least 16 bytes")
        if hashlib.sha256(raw).hexdigest() != commitments[party]:
            raise Refused(f"the secret revealed by {party} does not match its commitment")


def exclusions(rules: dict[str, Any], candidates: list[str]) -> list[dict[str, str]]:
    """Re-apply avoidance and rotation to the candidates; one entry per excluded firm."""
    members = set(candidates)
    result: dict[str, dict[str, str]] = {}
    for entry in rules["avoid"]:
        if entry["id"] in members:
            result[entry["id"]] = {"id": entry["id"], "rule": "avoidance", "reason": entry["reason"]}
    rotation = rules["rotation"]
    if rotation is not None:
        ref_day = date.fromisoformat(rotation["reference_date"]).toordinal()
        history: dict[str, list[int]] = {}
        for win in rules["win_history"]:
            if win["id"] in members:
                history.setdefault(win["id"], []).append(date.fromisoformat(win["date"]).toordinal())
        for firm, days in history.items():
            if firm in result:
                continue
            recent = rotation["recent_days"]
            inside = [d for d in days if ref_day - d < recent] if recent is not None else []
            if inside:
                result[firm] = {
                    "id": firm,
                    "rule": "rotation_recent",
                    "reason": f"won on {date.fromordinal(max(inside))}, within {recent} days "
                    f"before {rotation['reference_date']}",
                }
                continue
            if rotation["max_wins"] is not None:
                start = date.fromisoformat(rotation["period_start"]).toordinal()
                wins = len([d for d in days if d >= start])
                if wins >= rotation["max_wins"]:
                    result[firm] = {
                        "id": firm,
                        "rule": "rotation_period",
                        "reason": f"{wins} wins from {rotation['period_start']} to "
                        f"{rotation['reference_date']}, limit {rotation['max_wins']}",
                    }
    return [result[k] for k in sorted(result)]
