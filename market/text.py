"""Which characters text may carry, wherever it comes from (a request, an imported sheet).

PostgreSQL's text types cannot hold U+0000, so a NUL would fail deep in the driver. Unicode
bidirectional controls (U+202A–U+202E, U+2066–U+2069) are storable but make text *display*
in another order than it is stored, so one firm's name could be made to read as another's.
Both are refused before anything is stored or searched; a secret that is never displayed
(a password) may hold bidirectional controls, never a NUL.
"""

from __future__ import annotations

import re

from market.errors import InvalidInput

NUL = "\x00"
FORBIDDEN = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")


class NulCharacter(InvalidInput):
    code = "nul-character"


class BidiControl(InvalidInput):
    code = "bidi-control"


def unsafe_character(value: str, *, secret: bool = False) -> tuple[type[InvalidInput], str] | None:
    """What is wrong with ``value``'s characters (the refusal's class and a reason without
    the field's name), or None when nothing is."""
    found = FORBIDDEN.search(value)
    if found is None or (secret and NUL not in value):
        return None
    if NUL in value:
        return NulCharacter, "contains a NUL character (U+0000); remove it"
    return BidiControl, (
        f"contains the Unicode bidirectional control U+{ord(found.group()):04X}; remove it: "
        "it makes text display in another order than it is written"
    )


def check_text(value: str, where: str, *, secret: bool = False) -> None:
    """Refuse a NUL anywhere and, unless ``secret`` (a password), a bidirectional control;
    ``where`` names the field in the message."""
    unsafe = unsafe_character(value, secret=secret)
    if unsafe is not None:
        refusal, reason = unsafe
        raise refusal(f"{where} {reason}", field=where)
