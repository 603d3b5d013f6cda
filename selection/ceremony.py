"""The `market-draw/2` ceremony: bound commitments, frozen inputs, a reveal window, a beacon.

Specified in ``docs/draw-spec.md`` §3 ("The ceremony"). In short:

- at publication each party commits ``SHA-256(canonical JSON ["market-draw/2/commitment",
  reference, round, role, secret])`` (:func:`commitment`), and the beacon is declared
  (source, reference, exact text form);
- at the deadline the platform freezes the inputs: SHA-256 of the canonical JSON of the
  configuration, of the candidates with their firm data, and of the bid digests
  (:func:`selection.engine.freeze` computes them), published in an audit entry;
- after the freeze the parties reveal before ``reveal_deadline``; a party that has not
  revealed by then is ``withheld`` and left out, a later reveal does not count;
- the beacon value becomes known after ``reveal_deadline`` and must be in its declared form;
- a draw needs two independent sources, at least one outside the platform
  (:func:`sources`).

Every check raises an :class:`~selection.errors.InvalidInput` subclass naming the problem.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selection.canonical import canonical_json
from selection.errors import (
    BeaconFormMismatch,
    CeremonyOrderViolation,
    DuplicateCommitment,
    FrozenInputsChanged,
    InsufficientContributions,
    InvalidParameter,
    MissingCommitment,
    MissingParameter,
    RevealMismatch,
    UnknownParameter,
)

SPEC = "market-draw/2"
PARTIES = ("platform", "owner", "supervisor")
COMMITMENT_TAG = "market-draw/2/commitment"
SEED_DOMAIN = "market-draw/2/seed"
FROZEN = ("configuration", "candidates", "bids")
CEREMONY_KEYS = frozenset({"round", "commitments", "freeze", "reveal_deadline", "reveals", "beacon"})
FREEZE_KEYS = frozenset({"audit_entry", "frozen_at", *FROZEN})
BEACON_KEYS = frozenset({"source", "reference", "form", "value", "at"})
_SECRET = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_DIGITS_FORM = re.compile(r"digits:([1-9][0-9]?)")
_AUDIT_HEAD = re.compile(r"(0|[1-9][0-9]{0,18}):[0-9a-f]{64}")


def commitment(reference: str, round_number: int, role: str, secret_hex: str) -> str:
    """The commitment a party publishes: SHA-256 hex of the canonical JSON array
    ``["market-draw/2/commitment", reference, round, role, secret]`` in UTF-8.

    The same bytes are ``JSON.stringify([...])`` in a browser, so a page can compute it with
    ``crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))``.
    """
    text = canonical_json([COMMITMENT_TAG, reference, round_number, role, secret_hex])
    return hashlib.sha256(text).hexdigest()


def beacon_form_ok(form: str, value: str) -> bool:
    """Whether ``value`` is written exactly in the declared ``form`` (see :func:`parse_form`)."""
    digits = _DIGITS_FORM.fullmatch(form)
    if digits is not None:
        return len(value) == int(digits.group(1)) and value.isascii() and value.isdigit()
    if form == "hex64":
        return _SECRET.fullmatch(value) is not None
    if form == "audit_head":
        return _AUDIT_HEAD.fullmatch(value) is not None
    return False


def is_form(form: object) -> bool:
    """Whether ``form`` is a declared beacon form: ``digits:N`` (1–99), ``hex64``, ``audit_head``."""
    return isinstance(form, str) and (
        _DIGITS_FORM.fullmatch(form) is not None or form in ("hex64", "audit_head")
    )


@dataclass(frozen=True)
class Ceremony:
    """A validated ceremony: ``echo`` for the record, plus what the seed and rules need."""

    echo: dict[str, Any]
    counted: list[str]
    withheld: list[dict[str, str]]
    beacon_counted: bool

    @property
    def round(self) -> int:
        """The procurement round the commitments are bound to."""
        return int(self.echo["round"])

    def sources(self) -> set[str]:
        """The independent sources that entered the seed; the audit head is the platform's."""
        found = set(self.counted)
        if self.beacon_counted:
            form = self.echo["beacon"]["form"]
            found.add("platform" if form == "audit_head" else "beacon")
        return found

    def seed_section(self, value: str) -> dict[str, Any]:
        """The record's ``seed`` object for a seed ``value``."""
        return {
            "reveals_counted": list(self.counted),
            "withheld": [dict(w) for w in self.withheld],
            "beacon_counted": self.beacon_counted,
            "value": value,
        }


def _time(raw: object, name: str) -> str:
    if not isinstance(raw, str) or _TIME.fullmatch(raw) is None:
        raise InvalidParameter(f"{name} must be a UTC time YYYY-MM-DDTHH:MM:SS.ffffffZ", parameter=name)
    try:
        datetime.fromisoformat(raw[:-1])
    except ValueError:
        raise InvalidParameter(f"{name}: {raw} is not a time", parameter=name) from None
    return raw


def _object(raw: object, allowed: frozenset[str], name: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidParameter(f"{name} must be an object", parameter=name)
    for key in raw:
        if key not in allowed:
            raise UnknownParameter(f"{name} has no key {key!r}", parameter=f"{name}.{key}")
    return raw


def _hex64(raw: object, name: str) -> str:
    if not isinstance(raw, str) or _SECRET.fullmatch(raw) is None:
        raise InvalidParameter(f"{name} must be 64 lowercase hex digits", parameter=name)
    return raw


def _text(raw: object, name: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise MissingParameter(f"{name} must be a non-empty string", parameter=name)
    return raw


def _freeze(raw: object, digests: Mapping[str, str]) -> dict[str, str]:
    given = _object(raw, FREEZE_KEYS, "ceremony.freeze")
    out = {
        "audit_entry": _text(given.get("audit_entry"), "ceremony.freeze.audit_entry"),
        "frozen_at": _time(given.get("frozen_at"), "ceremony.freeze.frozen_at"),
    }
    for name in FROZEN:
        out[name] = _hex64(given.get(name), f"ceremony.freeze.{name}")
    for name in FROZEN:
        if out[name] != digests[name]:
            raise FrozenInputsChanged(
                f"the {name} differ from those frozen at {out['frozen_at']} "
                f"(audit entry {out['audit_entry']}): frozen {out[name]}, inputs give {digests[name]}",
                part=name,
                frozen=out[name],
                computed=digests[name],
            )
    return out


def _beacon(raw: object, reveal_deadline: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    given = _object(raw, BEACON_KEYS, "ceremony.beacon")
    form = given.get("form")
    if not is_form(form):
        raise InvalidParameter(
            "ceremony.beacon.form must be digits:N (N 1-99), hex64 or audit_head",
            parameter="ceremony.beacon.form",
        )
    beacon: dict[str, Any] = {
        "source": _text(given.get("source"), "ceremony.beacon.source"),
        "reference": _text(given.get("reference"), "ceremony.beacon.reference"),
        "form": form,
        "value": given.get("value"),
        "at": given.get("at"),
    }
    if (beacon["value"] is None) != (beacon["at"] is None):
        raise InvalidParameter("the beacon value and its time go together", parameter="ceremony.beacon")
    if beacon["value"] is not None:
        value = beacon["value"]
        if not isinstance(value, str) or not beacon_form_ok(str(form), value):
            raise BeaconFormMismatch(
                f"beacon value {value!r} is not in the declared form {form}", form=form, value=repr(value)
            )
        _time(beacon["at"], "ceremony.beacon.at")
        if beacon["at"] <= reveal_deadline:
            raise CeremonyOrderViolation(
                f"the beacon is dated {beacon['at']}, not after the reveal deadline {reveal_deadline}",
                step="beacon",
            )
    return beacon


def parse_ceremony(raw: object, *, reference: str, digests: Mapping[str, str], draws: bool) -> Ceremony:
    """Validate a v2 ceremony against the frozen-input ``digests`` recomputed from the inputs.

    ``draws``: the method may draw, so the platform must have committed.
    """
    given = _object(raw, CEREMONY_KEYS, "ceremony")
    round_number = given.get("round")
    if isinstance(round_number, bool) or not isinstance(round_number, int) or round_number < 1:
        raise InvalidParameter("ceremony.round must be an integer >= 1", parameter="ceremony.round")
    commitments: dict[str, str] = {}
    for party, value in _object(given.get("commitments", {}), frozenset(PARTIES), "commitments").items():
        commitments[party] = _hex64(value, f"ceremony.commitments.{party}")
    if len(set(commitments.values())) != len(commitments):
        raise DuplicateCommitment("two parties published the same commitment")
    if draws and "platform" not in commitments:
        raise MissingCommitment("a method that draws needs the platform's commitment")
    freeze = _freeze(given.get("freeze"), digests)
    deadline = _time(given.get("reveal_deadline"), "ceremony.reveal_deadline")
    if deadline <= freeze["frozen_at"]:
        raise CeremonyOrderViolation("the reveal deadline is not after the freeze", step="reveal_deadline")
    reveals: dict[str, dict[str, str]] = {}
    counted: list[str] = []
    late: set[str] = set()
    for party, entry in _object(given.get("reveals", {}), frozenset(PARTIES), "reveals").items():
        where = f"ceremony.reveals.{party}"
        entry = _object(entry, frozenset({"secret", "at"}), where)
        secret, at = _hex64(entry.get("secret"), where + ".secret"), _time(entry.get("at"), where + ".at")
        if party not in commitments:
            raise InvalidParameter(f"{party} revealed without a commitment", parameter=where)
        if commitment(reference, round_number, party, secret) != commitments[party]:
            raise RevealMismatch(
                f"the secret revealed by {party} does not match its commitment",
                party=party,
                commitment=commitments[party],
            )
        if at <= freeze["frozen_at"]:
            raise CeremonyOrderViolation(f"{party} revealed before the inputs were frozen", step=party)
        reveals[party] = {"secret": secret, "at": at}
        if at > deadline:
            late.add(party)
    for party in PARTIES:
        if party in reveals and party not in late:
            counted.append(party)
    secrets = [reveals[p]["secret"] for p in counted]
    if len(set(secrets)) != len(secrets):
        raise DuplicateCommitment("two parties revealed the same secret; they are not independent")
    withheld = [
        {"party": p, "reason": "revealed_late" if p in late else "not_revealed"}
        for p in PARTIES
        if p in commitments and p not in counted
    ]
    beacon = _beacon(given.get("beacon"), deadline)
    echo = {
        "round": round_number,
        "commitments": commitments,
        "freeze": freeze,
        "reveal_deadline": deadline,
        "reveals": reveals,
        "beacon": beacon,
    }
    return Ceremony(echo, counted, withheld, beacon is not None and beacon["value"] is not None)


def require_contributions(ceremony: Ceremony) -> None:
    """Refuse a draw with fewer than two independent sources or none outside the platform."""
    found = ceremony.sources()
    if len(found) < 2 or found <= {"platform"}:
        raise InsufficientContributions(
            "a draw needs at least two independent contributions, one from outside the platform "
            f"(counted: {', '.join(sorted(found)) or 'none'})",
            counted=sorted(found),
        )


def _field(tag: str, value: str) -> bytes:
    tag_bytes, value_bytes = tag.encode("utf-8"), value.encode("utf-8")
    return len(tag_bytes).to_bytes(2, "big") + tag_bytes + len(value_bytes).to_bytes(4, "big") + value_bytes


def derive_seed(reference: str, method: str, ceremony: Ceremony) -> str:
    """The v2 seed (hex): SHA-256 of tagged fields, see ``docs/draw-spec.md`` §3.6."""
    echo = ceremony.echo
    parts = [
        _field("domain", SEED_DOMAIN),
        _field("procurement", reference),
        _field("round", str(echo["round"])),
        _field("method", method),
    ]
    parts += [_field(name, echo["freeze"][name]) for name in FROZEN]
    for party in ceremony.counted:
        parts.append(_field("reveal", canonical_json([party, echo["reveals"][party]["secret"]]).decode()))
    if ceremony.beacon_counted:
        b = echo["beacon"]
        pair = [b["source"], b["reference"], b["form"], b["value"]]
        parts.append(_field("beacon", canonical_json(pair).decode()))
    return hashlib.sha256(b"".join(parts)).hexdigest()
