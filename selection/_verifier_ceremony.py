"""Stand-alone verifier, part 4: the market-draw/2 ceremony (spec §3), from the text alone.

Checks the bound commitments against the reveals, the order of freeze, reveals, deadline and
beacon, the beacon's declared form, the frozen digests against the record's own inputs and
the two-contribution rule, and derives the v2 seed. Standard library only; no import from
the engine (see ``_verifier_core``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from selection._verifier_core import PARTY_ORDER, Refused, canonical, digest

HEX64 = re.compile(r"[0-9a-f]{64}\Z")
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z", re.ASCII)


def bound_commitment(ref: str, round_number: int, party: str, secret: str) -> str:
    """SHA-256 of the canonical JSON ["market-draw/2/commitment", ref, round, party, secret]."""
    return digest(canonical(["market-draw/2/commitment", ref, round_number, party, secret]))


def in_form(form: str, value: str) -> bool:
    """digits:N = exactly N ASCII digits; hex64; audit_head = <seq>:<64 hex>."""
    if form == "hex64":
        return HEX64.match(value) is not None
    if form == "audit_head":
        seq, colon, head = value.partition(":")
        good_seq = seq.isascii() and seq.isdigit() and len(seq) <= 19 and (seq == "0" or seq[0] != "0")
        return colon == ":" and good_seq and HEX64.match(head) is not None
    if form.startswith("digits:"):
        n = form[len("digits:") :]
        if not (n.isascii() and n.isdigit() and n[0] != "0" and len(n) <= 2):
            raise Refused(f"beacon form {form!r} is not a declared form")
        return len(value) == int(n) and value.isascii() and value.isdigit()
    raise Refused(f"beacon form {form!r} is not a declared form")


def moment(value: Any, what: str) -> str:
    if not isinstance(value, str) or MOMENT.match(value) is None:
        raise Refused(f"{what}: {value!r} is not a UTC time YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise Refused(f"{what}: {value} is not a real time") from None
    return value


def hex64(value: Any, what: str) -> str:
    if not isinstance(value, str) or HEX64.match(value) is None:
        raise Refused(f"{what} is not 64 lowercase hex digits")
    return value


def keys(obj: Any, expected: set[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != expected:
        raise Refused(f"{what} must have exactly the keys {sorted(expected)}")
    return obj


def frozen_digests(method: str, params: Any, rules: Any, inputs: dict[str, Any]) -> dict[str, str]:
    """The three digests a freeze fixes, recomputed from the record's own inputs."""
    return {
        "configuration": digest(canonical({"method": method, "params": params, "rules": rules})),
        "candidates": digest(canonical({k: v for k, v in inputs.items() if k != "bid_digests"})),
        "bids": digest(canonical(inputs.get("bid_digests", {}))),
    }


def check_ceremony(
    ref: str, method: str, params: Any, rules: Any, inputs: dict[str, Any], cer: Any, draws: bool
) -> tuple[dict[str, Any], set[str], str]:
    """Check the record's ceremony; return (seed section without value, sources, seed value)."""
    cer = keys(cer, {"round", "commitments", "freeze", "reveal_deadline", "reveals", "beacon"}, "ceremony")
    rnd = cer["round"]
    if type(rnd) is not int or rnd < 1:
        raise Refused("ceremony.round must be an integer >= 1")
    commits = cer["commitments"]
    if not isinstance(commits, dict) or not set(commits) <= set(PARTY_ORDER):
        raise Refused("ceremony.commitments must be keyed by platform, owner, supervisor")
    for party, value in commits.items():
        hex64(value, f"commitment of {party}")
    if len(set(commits.values())) < len(commits):
        raise Refused("two parties published the same commitment")
    if draws and "platform" not in commits:
        raise Refused("a method that draws needs the platform's commitment")

    frz = keys(cer["freeze"], {"audit_entry", "frozen_at", "configuration", "candidates", "bids"}, "freeze")
    if not isinstance(frz["audit_entry"], str) or not frz["audit_entry"].strip():
        raise Refused("ceremony.freeze.audit_entry must name the audit entry")
    frozen_at = moment(frz["frozen_at"], "freeze time")
    for part, value in frozen_digests(method, params, rules, inputs).items():
        if hex64(frz[part], f"frozen {part} digest") != value:
            raise Refused(
                f"inputs differ from the frozen digests: {part} (frozen {frz[part]}, "
                f"the record's inputs give {value})"
            )

    deadline = moment(cer["reveal_deadline"], "reveal deadline")
    if not frozen_at < deadline:
        raise Refused("the reveal deadline is not after the freeze")
    reveals = cer["reveals"]
    if not isinstance(reveals, dict):
        raise Refused("ceremony.reveals must be an object")
    counted: list[str] = []
    withheld: list[dict[str, str]] = []
    for party in PARTY_ORDER:
        if party not in reveals:
            if party in commits:
                withheld.append({"party": party, "reason": "not_revealed"})
            continue
        if party not in commits:
            raise Refused(f"{party} revealed without a commitment")
        entry = keys(reveals[party], {"secret", "at"}, f"reveal of {party}")
        secret = hex64(entry["secret"], f"secret of {party}")
        if bound_commitment(ref, rnd, party, secret) != commits[party]:
            raise Refused(f"the secret revealed by {party} does not match its commitment")
        at = moment(entry["at"], f"reveal time of {party}")
        if at <= frozen_at:
            raise Refused(f"{party} revealed before the inputs were frozen")
        if at > deadline:
            withheld.append({"party": party, "reason": "revealed_late"})
        else:
            counted.append(party)
    withheld.sort(key=lambda w: PARTY_ORDER.index(w["party"]))
    chosen = [reveals[p]["secret"] for p in counted]
    if len(set(chosen)) < len(chosen):
        raise Refused("two parties revealed the same secret")

    beacon, beacon_counted = cer["beacon"], False
    if beacon is not None:
        beacon = keys(beacon, {"source", "reference", "form", "value", "at"}, "beacon")
        for name in ("source", "reference", "form"):
            if not isinstance(beacon[name], str) or not beacon[name].strip():
                raise Refused(f"beacon {name} must be a non-empty string")
        if (beacon["value"] is None) != (beacon["at"] is None):
            raise Refused("the beacon value and its time go together")
        in_form(beacon["form"], "")  # an undeclared form is refused even without a value
        if beacon["value"] is not None:
            if not isinstance(beacon["value"], str) or not in_form(beacon["form"], beacon["value"]):
                shown = repr(beacon["value"])
                raise Refused(f"beacon value {shown} is not in the declared form {beacon['form']}")
            if not moment(beacon["at"], "beacon time") > deadline:
                raise Refused("the beacon time is not after the reveal deadline")
            beacon_counted = True

    def field(tag: str, value: str) -> bytes:
        t, v = tag.encode(), value.encode()
        return len(t).to_bytes(2, "big") + t + len(v).to_bytes(4, "big") + v

    material = field("domain", "market-draw/2/seed") + field("procurement", ref)
    material += field("round", str(rnd)) + field("method", method)
    for part in ("configuration", "candidates", "bids"):
        material += field(part, frz[part])
    for party in counted:
        material += field("reveal", canonical([party, reveals[party]["secret"]]).decode())
    sources = set(counted)
    if beacon_counted:
        b = beacon
        material += field("beacon", canonical([b["source"], b["reference"], b["form"], b["value"]]).decode())
        sources.add("platform" if b["form"] == "audit_head" else "beacon")
    section = {"reveals_counted": counted, "withheld": withheld, "beacon_counted": beacon_counted}
    return section, sources, hashlib.sha256(material).hexdigest()


def check_contributions(sources: set[str]) -> None:
    """At least two independent sources, at least one of them not the platform."""
    if len(sources) < 2 or not sources - {"platform"}:
        raise Refused(
            "fewer than two independent contributions, or none from outside the platform "
            f"(counted: {', '.join(sorted(sources)) or 'none'})"
        )
