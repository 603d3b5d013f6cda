"""Stand-alone verifier: ``python -m selection.verify RECORD.json``.

Re-computes the whole selection record from its frozen inputs and the revealed secrets —
for ``market.selection-record/2`` also the ceremony: bound commitments against reveals,
reveal times against the deadline, withheld parties, the beacon's form and time, the frozen
digests against the inputs and the two-contribution rule — then the seed, exclusions, every
random number, ranking, winners and alternates — with a second
implementation that needs nothing but the Python standard library (it shares no code with
the engine). Prints ``MATCH`` and exits 0, or prints the first difference and exits 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from selection._verifier_methods import Refused, recompute

TOP_LEVEL_ORDER = [
    "format",
    "algorithm",
    "method",
    "procurement_ref",
    "params",
    "rules",
    "inputs",
    "ceremony",
    "seed",
    "exclusions",
    "eligible_count",
    "draws",
    "ranking",
    "flags",
    "winners",
    "alternates",
    "outcome",
    "failure",
]


USAGE = (
    "usage: python -m selection.verify [--frozen configuration=HEX,candidates=HEX,bids=HEX] "
    "RECORD.json [RECORD.json ...]"
)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def first_difference(recorded: Any, computed: Any, path: str = "") -> str | None:
    """Return a description of the first place where the two JSON values differ, or None."""
    if type(recorded) is not type(computed):
        return f"{path or '<record>'}: record has {_short(recorded)}, re-computation gives {_short(computed)}"
    if isinstance(recorded, dict):
        keys = [k for k in TOP_LEVEL_ORDER if k in recorded or k in computed] if not path else []
        keys += sorted((set(recorded) | set(computed)) - set(keys))
        for key in keys:
            where = f"{path}.{key}" if path else key
            if key not in computed:
                return f"{where}: present in the record but not expected"
            if key not in recorded:
                return f"{where}: missing from the record (re-computation gives {_short(computed[key])})"
            found = first_difference(recorded[key], computed[key], where)
            if found:
                return found
        return None
    if isinstance(recorded, list):
        for i, (a, b) in enumerate(zip(recorded, computed, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(recorded) != len(computed):
            return f"{path}: record has {len(recorded)} entries, re-computation gives {len(computed)}"
        return None
    if recorded != computed:
        return f"{path}: record has {_short(recorded)}, re-computation gives {_short(computed)}"
    return None


def _no_floats(text: str) -> float:
    raise Refused(f"the record contains a floating-point number ({text}); records never do")


def _published(record: dict[str, Any], frozen: dict[str, str]) -> None:
    """The record's freeze must be the one published at the deadline (audit entry, page):
    a record re-frozen afterwards is self-consistent, so only this comparison catches it."""
    if record.get("format") != "market.selection-record/2":
        raise Refused("published frozen digests apply to market.selection-record/2 records only")
    held = record["ceremony"]["freeze"]
    for part in sorted(frozen):
        if part not in ("configuration", "candidates", "bids"):
            raise Refused(f"unknown frozen part {part!r}")
        if held.get(part) != frozen[part]:
            raise Refused(
                f"the record's frozen {part} digest {held.get(part)} differs from the published "
                f"{frozen[part]} (audit entry {held.get('audit_entry')})"
            )


def verify_text(text: str | bytes, frozen: dict[str, str] | None = None) -> str | None:
    """Verify a record given as JSON text: ``None`` on a match, else the first difference.

    ``frozen``: the digests published at the freeze (``{"configuration", "candidates",
    "bids"}``, any of them); the record's ``ceremony.freeze`` must hold the same.
    """
    try:
        record = json.loads(text, parse_float=_no_floats)
        if not isinstance(record, dict):
            raise Refused("a selection record is a JSON object")
        versions = {"market.selection-record/1": "draw-v1", "market.selection-record/2": "market-draw/2"}
        if record.get("format") not in versions:
            raise Refused(f"unknown record format {record.get('format')!r}")
        if record.get("algorithm") != versions[record["format"]]:
            raise Refused(f"unknown draw algorithm {record.get('algorithm')!r} for {record['format']}")
        if frozen:
            _published(record, frozen)
        computed = recompute(record)
    except Refused as exc:
        return f"cannot re-compute: {exc}"
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"cannot re-compute: malformed record ({type(exc).__name__}: {exc})"
    return first_difference(record, computed)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: verify each RECORD.json given; exit 0 only if all match."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    frozen: dict[str, str] = {}
    while args and args[0] == "--frozen":
        if len(args) < 2 or "=" not in args[1]:
            print(USAGE)
            return 2
        for pair in args[1].split(","):
            part, _, value = pair.partition("=")
            frozen[part.strip()] = value.strip()
        args = args[2:]
    if not args:
        print(USAGE)
        return 2
    status = 0
    for name in args:
        with open(name, "rb") as handle:
            problem = verify_text(handle.read(), frozen or None)
        prefix = f"{name}: " if len(args) > 1 else ""
        if problem is None:
            print(f"{prefix}MATCH")
        else:
            print(f"{prefix}DIFFERENCE {problem}")
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
