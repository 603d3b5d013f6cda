"""Canonical JSON and fixed-point numbers, as specified in ``docs/draw-spec.md``.

Canonical JSON: UTF-8, object keys sorted by code point, no whitespace, strings escaped
only where JSON requires it (``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``, other control
characters as ``\\u00xx``), integers only. Floats are refused: money, rates and scores are
decimal strings with exactly two places, handled internally as integer hundredths (fen
for money).
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from selection.errors import InvalidAmount

_TWO_PLACES = re.compile(r"(0|[1-9][0-9]{0,15})(?:\.([0-9]{1,2}))?")


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise InvalidAmount("floating-point numbers are not allowed in a record", value=value)
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def canonical_json(value: Any, *, check: bool = True) -> bytes:
    """Encode ``value`` as canonical JSON bytes (sorted keys, no whitespace, UTF-8).

    With ``check`` (the default) a float anywhere in ``value`` raises :class:`InvalidAmount`;
    large inputs built by the engine itself (lists of firm ids) pass ``check=False``.
    """
    if check:
        _refuse_floats(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hexadecimal SHA-256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def to_hundredths(value: object, field: str, *, maximum: int | None = None) -> int:
    """Parse a non-negative decimal with at most two places into integer hundredths.

    Accepts ``str`` (``"12"``, ``"12.5"``, ``"12.50"``), ``int`` and ``Decimal``; refuses
    ``float`` and ``bool``, signs, exponents and a third decimal place. For money the
    result is fen. ``maximum`` (in hundredths) bounds the value.
    """
    if isinstance(value, (bool, float)):
        raise InvalidAmount(f"{field}: {value!r} is not a decimal string", field=field)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(f"{field}: {value!r} is not finite", field=field)
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise InvalidAmount(f"{field}: {value!r} is not a decimal string", field=field)
    match = _TWO_PLACES.fullmatch(text)
    if match is None:
        raise InvalidAmount(
            f"{field}: {text!r} is not a non-negative decimal with at most two places",
            field=field,
        )
    whole, frac = match.group(1), match.group(2) or ""
    result = int(whole) * 100 + int((frac + "00")[:2])
    if maximum is not None and result > maximum:
        raise InvalidAmount(f"{field}: {text} exceeds {format_hundredths(maximum)}", field=field)
    return result


def format_hundredths(value: int) -> str:
    """Format integer hundredths (fen) as a two-place decimal string, e.g. ``12345 -> "123.45"``."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"
