"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's advice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from market.errors import InvalidInput

_hasher = PasswordHasher()
# Checked against when the user name is unknown, so that a wrong name costs as much time
# as a wrong password and response times don't reveal which accounts exist.
_DECOY = _hasher.hash("decoy password that nobody has")


def check_strength(password: str, *, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidInput(
            f"the password must have at least {min_length} characters (密码至少 {min_length} 位)",
            field="password",
            min_length=min_length,
        )
    if password.strip() != password or not password.strip():
        raise InvalidInput("the password must not start or end with spaces", field="password")
    if len(set(password)) < 4:
        raise InvalidInput("the password repeats too few different characters", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DECOY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
