"""The unified social credit code (统一社会信用代码, USCC): the one check of the platform.

Every USCC the platform takes — an organisation an administrator creates, a firm's
application or import row, a requirement's list of firms to avoid, a party named in a
document — passes through :func:`normalise`, so a code is compared and stored in one
form everywhere. Written with spaces, hyphens or lower-case letters it is still the same
code; anything else is refused with the one thing that is wrong with it.

Why here: ``contracts`` is the lowest layer that needs the check (a document's parties
carry USCCs), it may import nothing of ``market`` (import-linter's layers
``web → market → selection | contracts``), and ``market`` may import ``contracts``. The
top level of the repository is fixed, so there is no lower shared package to put it in;
the module is pure (python-stdnum and the standard library) and public for that reason.

The arithmetic is python-stdnum's (``stdnum.cn.uscc``: the 18 characters, the alphabet
without I, O, S, V, Z, the check character of GB 32100-2015); this module adds only the
messages a person can act on, naming the position and the character at fault.
"""

from __future__ import annotations

from stdnum.cn import uscc as _stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from contracts.errors import ContractsError

LENGTH = 18
# The characters a USCC may hold after its first eight (digits): GB 32100-2015's
# alphabet, which leaves out I, O, S, V and Z so that they are not read as digits.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NAME = "unified social credit code (统一社会信用代码)"


class InvalidUscc(ContractsError, ValueError):
    """A USCC is missing or wrong. ``value`` is the code as read (spaces and hyphens
    removed, upper-cased); ``reason`` says what is wrong with it; ``str()`` is the whole
    sentence. Callers turn it into their own error with the field it came from."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        whole = f"{value!r} is not a valid {NAME}: {reason}" if value else f"the {NAME} is required"
        super().__init__(whole)

    def __reduce__(self) -> tuple[type[InvalidUscc], tuple[str, str]]:
        return (type(self), (self.value, self.reason))


def compact(value: object) -> str:
    """The code as read: surrounding white space, inner spaces and hyphens removed,
    letters upper-cased (stdnum's ``compact``). Not checked."""
    text = "" if value is None else str(value)
    try:
        return str(_stdnum_uscc.compact(text))
    except ValidationError:  # stdnum refuses what it cannot iterate; str() always can
        return text.strip().upper()


def normalise(value: object) -> str:
    """The valid USCC ``value`` stands for, in its one stored form (18 characters, digits
    and capital letters). Raises :class:`InvalidUscc` naming what is wrong: missing, the
    number of characters, a character that cannot stand where it is, or the check
    character (the 18th) not matching the first seventeen."""
    code = compact(value)
    if not code:
        raise InvalidUscc("", "it is required")
    if len(code) != LENGTH:
        raise InvalidUscc(code, f"it has {len(code)} characters; a USCC has {LENGTH} characters")
    for position, char in enumerate(code, start=1):
        if position <= 8 and not ("0" <= char <= "9"):
            raise InvalidUscc(
                code,
                f"character {position} ({char!r}) must be a digit: the first 8 characters are the "
                "registering authority, the entity type and the 6-digit region code",
            )
        if position > 8 and char not in ALPHABET:
            raise InvalidUscc(
                code,
                f"character {position} ({char!r}) cannot appear in a USCC: after the first 8 it "
                "holds digits and capital letters other than I, O, S, V and Z",
            )
    try:
        return str(_stdnum_uscc.validate(code))
    except InvalidChecksum:
        raise InvalidUscc(
            code,
            "its check character (第18位校验码) is wrong: it does not match the first 17 characters, "
            "one of which may be mistyped",
        ) from None
    except ValidationError as error:  # anything stdnum finds that the checks above did not
        raise InvalidUscc(code, str(error)) from None

