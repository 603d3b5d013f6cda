"""What an owner declares for the draw at publication, checked without the database.

The owner's commitment is made outside the platform (``python -m selection.secret`` or the
page's WebCrypto) over the procurement's reference and round, so the platform only ever
sees the digest. The beacon is declared as a source the reference data allows
(``procurement.toml`` ``[[beacon_source]]``), the exact text form of its value and the event
it names (a lottery's draw, a drand round); ``audit_head`` is the platform's own audit chain
and counts as the platform's contribution only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from market.procurement import limits
from market.procurement.problems import Problem
from market.procurement.terms import ProcurementTerms

HEX64 = re.compile(r"[0-9a-f]{64}")
ROUND = 1  # re-published rounds come later; every stored row already names its round


@dataclass(frozen=True, slots=True)
class BeaconDeclaration:
    """``source``: ``external`` or ``audit_head``; ``form``: ``digits:N``, ``hex64`` or
    ``audit_head``; ``reference``: the public event whose value is used (``福利彩票3D
    第2026318期``), or a description of the moment for ``audit_head``."""

    source: str
    form: str
    reference: str


AUDIT_HEAD = BeaconDeclaration("audit_head", "audit_head", "平台审计链在选取时间的链头")


def commitment_problem(field: str, value: object) -> Problem | None:
    """A commitment is SHA-256 in 64 lowercase hex digits."""
    if not isinstance(value, str) or HEX64.fullmatch(value) is None:
        return Problem(
            field,
            "the commitment is 64 lowercase hex digits (SHA-256), made outside the platform "
            "with `python -m selection.secret` or the publish page; keep the secret",
        )
    return None


def beacon_problems(terms: ProcurementTerms, beacon: BeaconDeclaration | None) -> list[Problem]:
    """The declared beacon against the sources and forms the reference data allows."""
    if beacon is None:
        return [Problem("beacon", "declare the draw's beacon (随机信标): its source, form and reference")]
    source = terms.beacon_source(beacon.source)
    if source is None:
        allowed = ", ".join(f"{b.code} ({b.name})" for b in terms.beacon_sources)
        return [Problem("beacon.source", f"{beacon.source!r} is not a beacon source; allowed: {allowed}")]
    problems = []
    if not source.allows(beacon.form):
        problems.append(
            Problem(
                "beacon.form", f"{source.code} takes the forms {', '.join(source.forms)}, not {beacon.form!r}"
            )
        )
    reference = beacon.reference.strip()
    if not reference:
        problems.append(
            Problem("beacon.reference", "name the public event whose value is used (e.g. 第2026318期)")
        )
    elif any(ord(c) < 32 or ord(c) == 127 for c in reference):
        problems.append(Problem("beacon.reference", "one line of text, without control characters"))
    elif len(reference) > limits.BEACON_REFERENCE:
        problems.append(Problem("beacon.reference", f"at most {limits.BEACON_REFERENCE} characters"))
    return problems
