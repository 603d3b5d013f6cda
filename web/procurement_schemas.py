"""Request bodies and headers of the procurement API.

A draft's terms travel as one JSON object that :func:`market.procurement.draft_input.draft_from_input`
reads: it lists *every* problem of the shape at once, with its field (an unknown field, a
text too long, an amount that is a float) as a 422, which a typed struct could not (it stops
at the first). The wrappers around the terms are structs that refuse unknown fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar.params import HeaderParameter
from msgspec import Meta, Struct

from market.errors import InvalidInput
from market.procurement import limits
from web.params import INT64_MAX

Terms = Annotated[
    dict[str, Any],
    Meta(
        description="the procurement's terms: kind, title, description, division, service_type or "
        "work_field, budget, ceiling, floor, quote_mode, method, variant, method_params, winners, "
        "alternates, bid_deadline, selection_time, contact_name, contact_phone, avoidance, "
        "requirements, review_criteria ([{code, name, max_points}], 2–10, points adding up to 100) and "
        "review_deadline for a scored method weighing technical scores (amounts as text, times "
        "ISO 8601, China time without a zone)"
    ),
]
Version = Annotated[int, Meta(ge=1, le=INT64_MAX, description="the version you read (409 if it changed)")]
Reason = Annotated[str, Meta(max_length=limits.REASON, description=f"at most {limits.REASON} characters")]

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        max_length=40,
        description='the version you read, as its ETag ("3"); a changed procurement is a 409',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="1-200 printable ASCII characters (a UUID): a retry with the same key and body "
        "gets the first answer (a bid: its first receipt) again; the same key with another body "
        "is a 409",
    ),
]


class AmendmentBody(Struct, forbid_unknown_fields=True):
    terms: Terms
    reason: Reason
    expected_version: Version | None = None


class CancelBody(Struct, forbid_unknown_fields=True):
    reason: Reason
    expected_version: Version | None = None


Commitment = Annotated[
    str,
    Meta(
        max_length=64,
        description='SHA-256 in 64 lowercase hex digits of ["market-draw/2/commitment", reference, '
        "round, role, secret] (docs/draw-spec.md §3.1), made outside the platform",
    ),
]


class BeaconBody(Struct, forbid_unknown_fields=True):
    """The draw's beacon, declared at publication (docs/draw-spec.md §3.4)."""

    source: Annotated[str, Meta(max_length=40, description="external or audit_head (reference data)")]
    form: Annotated[str, Meta(max_length=20, description="digits:N, hex64 or audit_head")]
    reference: Annotated[
        str, Meta(max_length=limits.BEACON_REFERENCE, description="the public event (福利彩票3D 第2026318期)")
    ]


class PublishBody(Struct, forbid_unknown_fields=True):
    expected_version: Version | None = None
    owner_commitment: Commitment | None = None
    beacon: BeaconBody | None = None


_ETAG = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, in_body: int | None) -> int | None:
    """The version the client read: from ``If-Match`` or the body (both must agree)."""
    from_header = None
    if if_match is not None and if_match.strip() != "*":
        found = _ETAG.fullmatch(if_match.strip())
        if found is None:
            raise InvalidInput('If-Match is the version you read, e.g. "3"', field="If-Match")
        from_header = int(found[1])
    if from_header is not None and in_body is not None and from_header != in_body:
        raise InvalidInput(
            f"If-Match says version {from_header}, expected_version says {in_body}", field="expected_version"
        )
    return from_header if from_header is not None else in_body


def split_version(body: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A draft edit's body is the terms, optionally with ``expected_version`` beside them."""
    terms = dict(body)
    given = terms.pop("expected_version", None)
    if given is None:
        return terms, None
    if isinstance(given, bool) or not isinstance(given, int) or not 1 <= given <= INT64_MAX:
        raise InvalidInput(
            "expected_version is the version you read (a whole number)", field="expected_version"
        )
    return terms, given
