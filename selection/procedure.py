"""The steps every method shares: validate, freeze, seed, exclude, check the minimum, record.

A method module parses its own ``params``, then calls :func:`prepare`, does its ranking or
drawing on ``Procedure.eligible`` with ``Procedure.stream``, and calls
:meth:`Procedure.finish`.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from selection import ceremony as v2
from selection.canonical import canonical_json, sha256_hex
from selection.draw import ALGORITHM, DrawStream
from selection.errors import (
    CountExceedsPool,
    DuplicateCandidate,
    InsufficientRespondents,
    InvalidParameter,
    MissingFirmData,
    MissingParameter,
    UnknownCandidate,
    UnknownParameter,
)
from selection.record import RECORD_FORMAT, RECORD_FORMAT_V2, SelectionRecord
from selection.rules import apply_rules, parse_rules
from selection.seed import derive_seed, parse_seed_inputs

COMMON_KEYS = frozenset(
    {
        "method",
        "procurement_ref",
        "params",
        "candidates",
        "rules",
        "commitments",
        "reveals",
        "beacons",
        "ceremony",
    }
)
V1_SEED_KEYS = ("commitments", "reveals", "beacons")
# Set by selection.engine.freeze: prepare() stops after normalising and raises FrozenOnly.
FREEZING: ContextVar[bool] = ContextVar("selection_freezing", default=False)


class FrozenOnly(Exception):
    """Raised by :func:`prepare` in freeze mode, carrying what the freeze publishes."""

    def __init__(self, frozen: dict[str, Any]) -> None:
        super().__init__("frozen")
        self.frozen = frozen


def frozen_documents(
    method: str, params: Mapping[str, Any], rules: Mapping[str, Any], echo: Mapping[str, Any]
) -> dict[str, Any]:
    """The three documents a market-draw/2 freeze fixes (their digests go in the record)."""
    return {
        "configuration": {"method": method, "params": params, "rules": rules},
        "candidates": {k: v for k, v in echo.items() if k != "bid_digests"},
        "bids": echo.get("bid_digests", {}),
    }


_DIGEST = re.compile(r"[0-9a-f]{64}")
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def candidates_json(ids: list[str]) -> bytes:
    """Canonical JSON of a list of ids, byte-identical to :func:`canonical_json`.

    Ids without a quote, backslash or control character are written as they are, so the
    array is one ``join`` instead of an encoder pass (100,000 ids: ~1 ms instead of ~8 ms).
    """
    if _NEEDS_ESCAPE.search("".join(ids)) is None:
        return ('["' + '","'.join(ids) + '"]' if ids else "[]").encode("utf-8")
    return json.dumps(ids, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# A firm-data parser turns one raw value into (value for the record, value for computing).
FirmParser = Callable[[object, str], tuple[Any, Any]]


def parse_candidates(raw: object) -> list[str]:
    """Return the candidate ids sorted by code point; refuse duplicates and non-strings.

    Sorting an already sorted list is linear, and one pass of ``<`` over neighbours checks
    order and uniqueness together, which keeps 100,000 candidates cheap.
    """
    if not isinstance(raw, list | tuple):
        raise InvalidParameter("candidates must be a list of firm ids", parameter="candidates")
    try:
        ids = sorted(raw)
    except TypeError:
        raise InvalidParameter("candidate ids must be strings", parameter="candidates") from None
    # sorting compared every element with a neighbour, so if one is a str all of them are
    if ids and not isinstance(ids[0], str):
        raise InvalidParameter("candidate ids must be strings", parameter="candidates")
    if not all(map(operator.lt, ids, ids[1:])):
        for left, right in itertools.pairwise(ids):
            if left == right:
                raise DuplicateCandidate(f"candidate {left} is listed twice", firm_id=left)
    if ids and ids[0] == "":
        raise InvalidParameter("a candidate id is empty", parameter="candidates")
    return ids


def parse_count(params: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    """Read an integer parameter ``name`` (``>= minimum``), using ``default`` if absent."""
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameter(f"params.{name} must be an integer >= {minimum}", parameter=name)
    return value


def check_param_keys(params: Mapping[str, Any], allowed: frozenset[str], method: str) -> None:
    """Refuse any parameter key that ``method`` does not define."""
    for key in params:
        if key not in allowed:
            raise UnknownParameter(
                f"{method} has no parameter {key!r}", parameter=f"params.{key}", method=method
            )


def params_of(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return ``inputs["params"]`` (an empty mapping if absent), checking it is an object."""
    params = inputs.get("params", {})
    if not isinstance(params, Mapping):
        raise InvalidParameter("params must be an object", parameter="params")
    return params


def _bid_digest(raw: object, firm: str) -> tuple[str, str]:
    if not isinstance(raw, str) or _DIGEST.fullmatch(raw) is None:
        raise InvalidParameter(
            f"bid digest of {firm} must be 64 lowercase hex digits", parameter="bid_digests"
        )
    return raw, raw


@dataclass
class Procedure:
    """A selection in progress: frozen inputs, seed, stream and exclusions."""

    method: str
    procurement_ref: str
    params: dict[str, Any]
    rules: dict[str, Any]
    inputs_echo: dict[str, Any]
    values: dict[str, dict[str, Any]]
    seed: dict[str, Any]
    stream: DrawStream
    exclusions: list[dict[str, str]]
    eligible: list[str]
    flags: list[dict[str, Any]] = field(default_factory=list)
    ceremony: dict[str, Any] | None = None

    def record(
        self,
        *,
        ranking: list[dict[str, Any]],
        winners: list[str],
        alternates: list[str],
        failure: dict[str, Any] | None = None,
    ) -> SelectionRecord:
        """Assemble the record from the procedure's state and the method's result."""
        head: dict[str, Any] = {"format": RECORD_FORMAT, "algorithm": ALGORITHM}
        if self.ceremony is not None:
            head = {"format": RECORD_FORMAT_V2, "algorithm": v2.SPEC, "ceremony": self.ceremony}
        return SelectionRecord(
            {
                **head,
                "method": self.method,
                "procurement_ref": self.procurement_ref,
                "params": self.params,
                "rules": self.rules,
                "inputs": self.inputs_echo,
                "seed": self.seed,
                "exclusions": self.exclusions,
                "eligible_count": len(self.eligible),
                "draws": self.stream.log,
                "ranking": ranking,
                "flags": self.flags,
                "winners": winners,
                "alternates": alternates,
                "outcome": "failed" if failure else "selected",
                "failure": failure,
            }
        )

    def finish(
        self, ranking: list[dict[str, Any]], winners: list[str], alternates: list[str]
    ) -> SelectionRecord:
        """Return the successful record."""
        return self.record(ranking=ranking, winners=winners, alternates=alternates)


def prepare(
    inputs: Mapping[str, Any],
    *,
    method: str,
    params: dict[str, Any],
    firm_fields: Mapping[str, FirmParser],
    uses_bids: bool,
    draws: bool,
    default_minimum: int,
    picks: int,
    alternates: int = 0,
) -> Procedure:
    """Run the shared steps and return the :class:`Procedure` (see the module docstring).

    Raises an :class:`~selection.errors.InvalidInput` subclass for bad input, and
    :class:`InsufficientRespondents` (with a failure record) when fewer than
    ``max(min_respondents, picks)`` candidates remain eligible.
    """
    if not isinstance(inputs, Mapping):
        raise InvalidParameter("inputs must be an object", parameter="inputs")
    allowed = COMMON_KEYS | set(firm_fields) | ({"bid_digests"} if uses_bids else set())
    for key in inputs:
        if key not in allowed:
            raise UnknownParameter(f"{method} takes no input {key!r}", parameter=key)
    if inputs.get("method", method) != method:
        raise InvalidParameter("inputs.method disagrees with the method called", parameter="method")
    ref = inputs.get("procurement_ref")
    if not isinstance(ref, str) or not ref:
        raise MissingParameter("procurement_ref is required", parameter="procurement_ref")
    if "candidates" not in inputs:
        raise MissingParameter("candidates is required", parameter="candidates")
    candidates = parse_candidates(inputs["candidates"])
    if picks + alternates > len(candidates):
        raise CountExceedsPool(
            f"{picks} + {alternates} requested from {len(candidates)} candidates",
            requested=picks + alternates,
            available=len(candidates),
        )
    rules = parse_rules(inputs.get("rules"), default_minimum)
    freezing = FREEZING.get()
    is_v2 = "ceremony" in inputs and not freezing
    if is_v2 and any(key in inputs for key in V1_SEED_KEYS):
        raise InvalidParameter(
            "a market-draw/2 ceremony replaces commitments, reveals and beacons", parameter="ceremony"
        )
    seed_inputs = None if is_v2 or freezing else parse_seed_inputs(inputs, draws=draws)

    parsers = dict(firm_fields)
    if uses_bids and "bid_digests" in inputs:
        parsers["bid_digests"] = _bid_digest
    echo: dict[str, Any] = {"candidates": candidates}
    values: dict[str, dict[str, Any]] = {}
    for name, parser in parsers.items():
        echo[name], values[name] = _parse_firm_field(inputs.get(name), name, parser, candidates)
    exclusions = apply_rules(rules, candidates)
    if exclusions:
        excluded = {e["id"] for e in exclusions}
        eligible = [c for c in candidates if c not in excluded]
    else:
        eligible = candidates
    minimum = max(rules["min_respondents"], picks)
    ceremony: v2.Ceremony | None = None
    if seed_inputs is None:
        documents = frozen_documents(method, params, rules, echo)
        digests = {k: sha256_hex(canonical_json(v, check=False)) for k, v in documents.items()}
        if freezing:
            frozen = {"documents": documents, "digests": digests}
            raise FrozenOnly({**frozen, "eligible_count": len(eligible), "minimum": minimum})
        ceremony = v2.parse_ceremony(inputs["ceremony"], reference=ref, digests=digests, draws=draws)
        seed = ceremony.seed_section(v2.derive_seed(ref, method, ceremony))
    else:
        firm_data = {k: v for k, v in echo.items() if k not in ("candidates", "bid_digests")}
        seed = derive_seed(
            procurement_ref=ref,
            method=method,
            configuration={"params": params, "rules": rules},
            candidates_json=candidates_json(candidates),
            firm_data=firm_data,
            bid_digests=echo.get("bid_digests", {}),
            seed_inputs=seed_inputs,
        )
    procedure = Procedure(
        method=method,
        procurement_ref=ref,
        params=params,
        rules=rules,
        inputs_echo=echo,
        values=values,
        seed=seed,
        stream=DrawStream(bytes.fromhex(seed["value"])),
        exclusions=exclusions,
        eligible=eligible,
        ceremony=None if ceremony is None else ceremony.echo,
    )
    if len(eligible) < minimum:
        failure = {
            "code": "insufficient_respondents",
            "reason": "insufficient respondents",
            "eligible": len(eligible),
            "minimum": minimum,
        }
        record = procedure.record(ranking=[], winners=[], alternates=[], failure=failure)
        raise InsufficientRespondents(
            f"insufficient respondents: {len(eligible)} eligible, {minimum} required",
            record,
            eligible=len(eligible),
            minimum=minimum,
        )
    if ceremony is not None and draws:
        # a failure record draws nothing, so only a selection needs the contributions
        v2.require_contributions(ceremony)
    return procedure


def _parse_firm_field(
    raw: object, name: str, parser: FirmParser, candidates: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    if raw is None:
        raise MissingFirmData(f"{name} is required", field=name)
    if not isinstance(raw, Mapping):
        raise InvalidParameter(f"{name} must be an object keyed by firm id", parameter=name)
    known = set(candidates)
    for firm in raw:
        if firm not in known:
            raise UnknownCandidate(f"{name} names {firm!r}, not a candidate", firm_id=firm)
    echo: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for firm in candidates:
        if firm not in raw:
            raise MissingFirmData(f"{name} has no entry for {firm}", field=name, firm_id=firm)
        echo[firm], values[firm] = parser(raw[firm], f"{name}.{firm}")
    return echo, values
