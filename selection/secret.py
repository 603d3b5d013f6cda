"""Make a party's draw secret and its commitment: ``python -m selection.secret``.

Standard library only, so an owner or a supervisor can run it on their own computer
(``python -S -m selection.secret ...`` from a copy of the ``selection`` folder)::

    python -m selection.secret --reference SGZJ-2026-0001 --round 1 --role owner
    python -m selection.secret --reference SGZJ-2026-0001 --round 1 --role owner --check SECRET

The first form makes a new secret (32 bytes from the operating system's CSPRNG, written as
64 lowercase hex digits) and prints it with its commitment; the second recomputes the
commitment of a secret you already have. The commitment is SHA-256 of the UTF-8 bytes of
the canonical JSON array ``["market-draw/2/commitment", reference, round, role, secret]``
(see ``docs/draw-spec.md`` §3.1), the same bytes as ``JSON.stringify`` in a browser.

Keep the secret to yourself until the reveal window opens; give the platform only the
commitment. A secret is bound to one procurement, one round and one role: never reuse it.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from collections.abc import Sequence

from selection.ceremony import PARTIES, commitment

_SECRET = re.compile(r"[0-9a-f]{64}")
NOTE = (
    "保管好秘密值，揭示窗口开放前不要交给任何人；只把承诺值交给平台。"
    "一个秘密值只用于这一个项目、这一轮、这一个角色。\n"
    "Keep the secret until the reveal window opens; give the platform only the commitment. "
    "Never reuse a secret for another procurement, round or role."
)


def new_secret() -> str:
    """A fresh secret: 32 random bytes as 64 lowercase hex digits."""
    return secrets.token_hex(32)


def main(argv: Sequence[str] | None = None) -> int:
    """Print ``secret`` and ``commitment`` lines (or only ``commitment`` with ``--check``)."""
    parser = argparse.ArgumentParser(prog="python -m selection.secret", description=__doc__.split("\n")[0])
    parser.add_argument("--reference", required=True, help="the procurement reference, e.g. SGZJ-2026-0001")
    parser.add_argument("--round", type=int, required=True, help="the procurement round (1 for the first)")
    parser.add_argument("--role", required=True, choices=PARTIES, help="your role in the draw")
    parser.add_argument("--check", metavar="SECRET", help="recompute the commitment of this secret")
    args = parser.parse_args(argv)
    if not args.reference.strip():
        parser.error("--reference is empty")
    if args.round < 1:
        parser.error("--round must be 1 or more")
    if args.check is not None:
        if _SECRET.fullmatch(args.check) is None:
            parser.error("a secret is 64 lowercase hex digits")
        sys.stdout.write(f"commitment {commitment(args.reference, args.round, args.role, args.check)}\n")
        return 0
    secret = new_secret()
    sys.stdout.write(f"secret     {secret}\n")
    sys.stdout.write(f"commitment {commitment(args.reference, args.round, args.role, secret)}\n")
    sys.stderr.write(NOTE + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
