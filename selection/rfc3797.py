"""RFC 3797 ("Publicly Verifiable Nominations Committee Random Selection"), as the RFC says.

Key string: for each public random source, in the order given, its numbers sorted
ascending, each written in decimal without leading zeros and followed by ``.``; each
source is followed by ``/``. For the RFC's example the key is
``9319./2.5.8.10.12./9.18.26.34.41.45./``. Only numeric sources are supported.

Selection ``i`` (``i = 0, 1, ...``) computes ``MD5(u16be(i) || key || u16be(i))``, reads
the 16-byte digest as an unsigned big-endian integer, takes it modulo the number of pool
members still unselected, and selects the member at that 0-based index among the
remaining ones in published order. Positions are 1-based, as in the RFC.

Command line: ``python -m selection.rfc3797 --pool 25 --source 9319 --source 2,5,12,8,10
--source 9,18,26,34,41,45 --pick 10`` prints one selected position per line.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence


def key_string(sources: Sequence[int | Sequence[int]]) -> str:
    """Build the RFC 3797 key string from numeric sources (a number or a list of numbers)."""
    parts: list[str] = []
    for source in sources:
        numbers = [source] if isinstance(source, int) else list(source)
        if not numbers:
            raise ValueError("a random source needs at least one number")
        for number in numbers:
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise ValueError(f"source values are non-negative integers, not {number!r}")
        parts.append("".join(f"{n}." for n in sorted(numbers)) + "/")
    if not parts:
        raise ValueError("at least one random source is required")
    return "".join(parts)


def select(pool_size: int, sources: Sequence[int | Sequence[int]], count: int) -> list[int]:
    """Select ``count`` of positions ``1..pool_size`` by RFC 3797; return them in order."""
    if pool_size < 1 or not 0 <= count <= pool_size or count > 65536:
        raise ValueError("need 1 <= pool_size and 0 <= count <= min(pool_size, 65536)")
    key = key_string(sources).encode("ascii")
    remaining = list(range(1, pool_size + 1))
    picked: list[int] = []
    for i in range(count):
        affix = i.to_bytes(2, "big")
        digest = hashlib.md5(affix + key + affix, usedforsecurity=False).digest()
        picked.append(remaining.pop(int.from_bytes(digest, "big") % len(remaining)))
    return picked


def _parse_source(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; prints one selected 1-based position per line."""
    parser = argparse.ArgumentParser(prog="python -m selection.rfc3797", description=__doc__)
    parser.add_argument("--pool", type=int, required=True, help="number of pool members")
    parser.add_argument(
        "--source",
        type=_parse_source,
        action="append",
        required=True,
        help="one public random source: a number or comma-separated numbers (repeatable)",
    )
    parser.add_argument("--pick", type=int, required=True, help="how many to select")
    args = parser.parse_args(argv)
    try:
        picked = select(args.pool, args.source, args.pick)
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write("".join(f"{p}\n" for p in picked))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
