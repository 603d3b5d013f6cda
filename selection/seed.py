"""Commit-reveal seeds that no single party can steer (see ``docs/draw-spec.md``, "Seed").

At publication each party (the platform, and optionally the owner and a supervisor)
publishes ``SHA-256(secret)``. At the draw each secret is revealed and checked. The seed is
SHA-256 over a sequence of tagged fields, each encoded as
``u16be(len(tag)) || tag || u32be(len(value)) || value`` (tag and value as UTF-8 bytes),
in this order:

1. ``domain``: ``market/draw-v1/seed``
2. ``procurement``: the procurement reference
3. ``method``: the method name
4. ``configuration``: SHA-256 hex of canonical JSON ``{"params": ..., "rules": ...}``
5. ``candidates``: SHA-256 hex of the canonical JSON array of candidate ids, sorted
6. ``firm_data``: SHA-256 hex of the canonical JSON object of per-firm data (quotes, scores)
7. ``bid``: canonical JSON ``[firm_id, digest]`` for each sealed-bid digest, by firm id
8. ``reveal``: canonical JSON ``[party, secret_hex]`` for each revealed party, in the order
   platform, owner, supervisor
9. ``beacon``: canonical JSON ``[source, value]`` for each public beacon, in given order
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from selection.canonical import canonical_json, sha256_hex
from selection.errors import (
    InvalidParameter,
    MissingCommitment,
    MissingParameter,
    RevealMismatch,
    UnknownParameter,
)

PARTIES = ("platform", "owner", "supervisor")
DOMAIN = "market/draw-v1/seed"
_HEX = re.compile(r"[0-9a-f]*")


def commitment_for(secret_hex: str) -> str:
    """Return the commitment (SHA-256 hex of the secret's bytes) a party publishes."""
    return sha256_hex(bytes.fromhex(secret_hex))


def _field(tag: str, value: str) -> bytes:
    tag_bytes = tag.encode("utf-8")
    value_bytes = value.encode("utf-8")
    return len(tag_bytes).to_bytes(2, "big") + tag_bytes + len(value_bytes).to_bytes(4, "big") + value_bytes


@dataclass(frozen=True)
class SeedInputs:
    """Normalised commitments, reveals and beacons taken from the selection inputs."""

    commitments: dict[str, str]
    reveals: dict[str, str]
    beacons: list[dict[str, str]]


def _hex_map(raw: object, name: str, *, length: int | None) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidParameter(f"{name} must be an object keyed by party", parameter=name)
    out: dict[str, str] = {}
    for party, value in raw.items():
        if party not in PARTIES:
            raise UnknownParameter(f"{name}: unknown party {party!r}", parameter=f"{name}.{party}")
        if not isinstance(value, str) or _HEX.fullmatch(value) is None or len(value) % 2:
            raise InvalidParameter(f"{name}.{party} must be lowercase hex", parameter=f"{name}.{party}")
        if length is not None and len(value) != length:
            raise InvalidParameter(f"{name}.{party} must be {length} hex digits", parameter=f"{name}.{party}")
        if length is None and len(value) < 32:
            raise InvalidParameter(f"{name}.{party} must be at least 16 bytes", parameter=f"{name}.{party}")
        out[party] = value
    return out


def parse_seed_inputs(inputs: Mapping[str, Any], *, draws: bool) -> SeedInputs:
    """Validate commitments, reveals and beacons, and check every reveal.

    Raises :class:`MissingCommitment` when ``draws`` and the platform did not commit,
    :class:`RevealMismatch` when a secret does not hash to its commitment (no record is
    produced), and :class:`MissingParameter` when a committed party did not reveal.
    """
    commitments = _hex_map(inputs.get("commitments"), "commitments", length=64)
    reveals = _hex_map(inputs.get("reveals"), "reveals", length=None)
    if draws and "platform" not in commitments:
        raise MissingCommitment("a method that draws needs the platform's commitment")
    for party in PARTIES:
        if party in commitments and party not in reveals:
            raise MissingParameter(f"{party} committed but did not reveal", parameter=party)
        if party in reveals and party not in commitments:
            raise InvalidParameter(f"{party} revealed without a commitment", parameter=party)
        if party in reveals and commitment_for(reveals[party]) != commitments[party]:
            raise RevealMismatch(
                f"the secret revealed by {party} does not match its commitment",
                party=party,
                commitment=commitments[party],
            )
    beacons_raw = inputs.get("beacons") or []
    if not isinstance(beacons_raw, Sequence) or isinstance(beacons_raw, str):
        raise InvalidParameter("beacons must be a list", parameter="beacons")
    beacons: list[dict[str, str]] = []
    for beacon in beacons_raw:
        if (
            not isinstance(beacon, Mapping)
            or set(beacon) != {"source", "value"}
            or not all(isinstance(beacon[k], str) and beacon[k] for k in ("source", "value"))
        ):
            raise InvalidParameter(
                "each beacon is {source, value} with non-empty strings", parameter="beacons"
            )
        beacons.append({"source": beacon["source"], "value": beacon["value"]})
    return SeedInputs(commitments, reveals, beacons)


def derive_seed(
    *,
    procurement_ref: str,
    method: str,
    configuration: Mapping[str, Any],
    candidates_json: bytes,
    firm_data: Mapping[str, Any],
    bid_digests: Mapping[str, str],
    seed_inputs: SeedInputs,
) -> dict[str, Any]:
    """Derive the seed and return the record's ``seed`` section (with ``value`` in hex).

    ``candidates_json`` is the canonical JSON of the sorted candidate ids, passed in
    already encoded because it is the largest piece and is built once.
    """
    components = {
        "configuration": sha256_hex(canonical_json(configuration)),
        "candidates": sha256_hex(candidates_json),
        "firm_data": sha256_hex(canonical_json(firm_data)),
    }
    parts = [
        _field("domain", DOMAIN),
        _field("procurement", procurement_ref),
        _field("method", method),
        _field("configuration", components["configuration"]),
        _field("candidates", components["candidates"]),
        _field("firm_data", components["firm_data"]),
    ]
    for firm_id in sorted(bid_digests):
        parts.append(_field("bid", canonical_json([firm_id, bid_digests[firm_id]]).decode()))
    for party in PARTIES:
        if party in seed_inputs.reveals:
            pair = [party, seed_inputs.reveals[party]]
            parts.append(_field("reveal", canonical_json(pair).decode()))
    for beacon in seed_inputs.beacons:
        pair = [beacon["source"], beacon["value"]]
        parts.append(_field("beacon", canonical_json(pair).decode()))
    value = hashlib.sha256(b"".join(parts)).hexdigest()
    return {
        "commitments": dict(seed_inputs.commitments),
        "reveals": dict(seed_inputs.reveals),
        "beacons": [dict(b) for b in seed_inputs.beacons],
        "components": components,
        "value": value,
    }
