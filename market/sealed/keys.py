"""The keys that keep bids sealed: a key-encryption key (KEK) held in a file outside the
database, and one data key (DEK) per procurement, stored in the database only wrapped by the KEK.

A database dump therefore holds nothing that opens a bid; the KEK file does (all of them), so its
custody is what keeps a quote secret until the opening (docs/sealed-bids.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from market.errors import ConfigurationError, Conflict

KEY_BYTES = 32
"""AES-256."""
NONCE_BYTES = 12
"""96-bit GCM nonces, drawn at random for every encryption."""
DEFAULT_KEK_FILE = Path("keys") / "bid-kek"
"""Where the KEK lives under MARKET_HOME when MARKET_BID_KEY_FILE is unset."""
WRAP_FORMAT = "market-bid-dek/1"


class BidKeyMismatch(ConfigurationError):
    """A data key was wrapped under another KEK than the one loaded (the file was replaced or
    rotated without re-wrapping): refusing beats a confusing authentication failure."""

    code = "bid-key-mismatch"


class SealBroken(Conflict):
    """Stored sealed material does not open under the identity it is read with: it was
    altered, moved to another row, firm or version, or the key is wrong. Says which bid, never
    what it held."""

    code = "sealed-bid-unreadable"


def key_id_of(key: bytes) -> str:
    """A public name of a KEK: the first 16 hex digits of SHA-256 over a label and the key.
    The label keeps this hash apart from any other use of the same bytes; 64 bits suffice to
    tell a handful of keys apart and reveal nothing about a 256-bit random key."""
    return hashlib.sha256(b"market bid-kek id\x00" + key).hexdigest()[:16]


# json.dumps with these arguments, made once (dumps builds an encoder per call with them)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(value: object) -> bytes:
    """Sorted keys, no spaces, ASCII only: the bytes a bidder can rebuild with any JSON library
    (associated data, the canonical sealed bid)."""
    return _CANONICAL.encode(value).encode("ascii")


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A procurement's data key as the database stores it: the KEK's id, and nonce + AES-GCM
    ciphertext + tag in one blob."""

    key_id: str
    blob: bytes


class DataKey:
    """One procurement's data key. Never printed, never stored unwrapped."""

    __slots__ = ("_key", "_subkeys")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a data key has {KEY_BYTES} bytes")
        self._key = key
        self._subkeys: dict[bytes, bytes] = {}

    @classmethod
    def generate(cls) -> DataKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def __repr__(self) -> str:
        return "DataKey(<hidden>)"

    def __reduce__(self) -> NoReturn:
        # pickling would put the key into whatever carries the pickle (a queue, a cache)
        raise TypeError("a DataKey is not pickled; pass the wrapped key instead")

    def aead(self) -> AESGCM:
        """The cipher; for market.sealed.bids only."""
        return AESGCM(self._key)

    def subkey(self, label: bytes) -> bytes:
        """A key for another purpose (the bidder token), derived so that it never equals the
        encryption key: HMAC-SHA-256(DEK, label). Made once per label (every sealed bid
        derives its bidder token's key)."""
        subkey = self._subkeys.get(label)
        if subkey is None:
            subkey = self._subkeys[label] = hmac.new(self._key, label, hashlib.sha256).digest()
        return subkey


class KeyEncryptionKey:
    """The platform's KEK. ``key_id`` is public; the key itself never leaves this object."""

    __slots__ = ("_key", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"a bid key file holds exactly {KEY_BYTES} bytes, not {len(key)}")
        self._key = key
        self.key_id = key_id_of(key)

    def __repr__(self) -> str:
        return f"KeyEncryptionKey(key_id={self.key_id!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a KeyEncryptionKey is not pickled; each process reads the key file")

    # AES-256-GCM rather than RFC 3394 key wrap: GCM takes associated data, so a wrapped key is
    # bound to its procurement and to the KEK id (a row copied to another procurement does not
    # unwrap), and the bids use the same primitive. Its limit (2**32 random nonces per key) is
    # far beyond one wrap per procurement.
    def _aad(self, procurement: str) -> bytes:
        return canonical_json({"format": WRAP_FORMAT, "key_id": self.key_id, "procurement": procurement})

    def _subkey(self, label: bytes) -> bytes:
        # HMAC-SHA-256(KEK, label): never equal to the KEK, one per purpose
        return hmac.new(self._key, label, hashlib.sha256).digest()

    def fingerprint(self, purpose: str, data: bytes) -> str:
        """A keyed digest of ``data`` for ``purpose`` (e.g. an Idempotency-Key request body): a
        plain SHA-256 of a low-entropy body (a quote) could be reversed by trying values."""
        return hmac.new(
            self._subkey(b"market fingerprint/1 " + purpose.encode()), data, hashlib.sha256
        ).hexdigest()

    def _sealing(self, purpose: str, context: str) -> tuple[AESGCM, bytes]:
        # the cipher of ``purpose`` and the associated data binding ``context``, for seal/unseal
        key = AESGCM(self._subkey(b"market seal/1 " + purpose.encode()))
        return key, canonical_json({"purpose": purpose, "context": context, "key_id": self.key_id})

    def seal(self, purpose: str, context: str, plaintext: bytes) -> bytes:
        """nonce + AES-GCM ciphertext of a small secret (the platform's draw secret) under a key
        derived for ``purpose``, bound to ``context`` (procurement and round): a dump of the
        database shows nothing of it, and a blob moved to another row does not open."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        key, aad = self._sealing(purpose, context)
        return nonce + key.encrypt(nonce, plaintext, aad)

    def unseal(self, purpose: str, context: str, blob: bytes) -> bytes:
        """What :meth:`seal` sealed; :class:`SealBroken` when it was altered or moved."""
        key, aad = self._sealing(purpose, context)
        try:
            return key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except (InvalidTag, ValueError):
            raise SealBroken(f"the sealed {purpose} of {context} does not open", context=context) from None

    def wrap(self, dek: DataKey, procurement: str) -> WrappedKey:
        """Wrap ``dek`` for the procurement whose platform reference is ``procurement``."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._key).encrypt(nonce, dek._key, self._aad(procurement))
        return WrappedKey(key_id=self.key_id, blob=nonce + sealed)

    def unwrap(self, wrapped: WrappedKey, procurement: str) -> DataKey:
        """The data key of ``procurement``; only the opening (and sealing a bid) calls this."""
        if wrapped.key_id != self.key_id:
            raise BidKeyMismatch(
                f"the data key of {procurement} was wrapped under bid key {wrapped.key_id}, but the "
                f"loaded key file has id {self.key_id}; restore the key file with id {wrapped.key_id} "
                "(a rotation must re-wrap every data key before the old file is retired)",
                procurement=procurement,
                wrapped_key_id=wrapped.key_id,
                loaded_key_id=self.key_id,
            )
        nonce, sealed = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        try:
            return DataKey(AESGCM(self._key).decrypt(nonce, sealed, self._aad(procurement)))
        except (InvalidTag, ValueError):
            raise SealBroken(
                f"the wrapped data key stored for {procurement} does not open: it was altered or "
                "belongs to another procurement",
                procurement=procurement,
            ) from None


def procurement_tag(kek: KeyEncryptionKey, procurement_id: int) -> str:
    """The procurement as the bid rows name it: an HMAC under a key derived from the KEK, so
    a database dump does not show which procurement a bid is for (nor so how many bids one
    has), while the service, holding the key file, finds them with one index lookup."""
    return hmac.new(
        kek._subkey(b"market procurement tag/1"), str(procurement_id).encode("ascii"), hashlib.sha256
    ).hexdigest()


def rewrap(wrapped: WrappedKey, procurement: str, old: KeyEncryptionKey, new: KeyEncryptionKey) -> WrappedKey:
    """Rotation, one procurement at a time: the same data key under the new KEK (the bids'
    ciphertexts and digests do not change)."""
    return new.wrap(old.unwrap(wrapped, procurement), procurement)


def _read_private(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigurationError(f"cannot read the bid key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        # the mode is checked on the opened file, so a swap between check and read cannot pass
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(f"the bid key file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise ConfigurationError(
                f"the bid key file {path} is readable by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); anyone who reads it can open every bid. "
                f"Run `chmod 600 {path}` (owner only) and start again",
                path=str(path),
            )
        return handle.read(KEY_BYTES + 1)


def _create(path: Path) -> None:
    """Write a fresh key so that no reader ever sees a partial file: a private temporary file,
    then a hard link, which fails if another process made the key meanwhile."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_kek(home: Path, configured: Path | None = None) -> KeyEncryptionKey:
    """The KEK: from ``configured`` (MARKET_BID_KEY_FILE), which must exist, or from
    ``MARKET_HOME/keys/bid-kek``, created on first use with mode 0600.

    A configured file is never created: a missing production key means a secret that was not
    mounted, and a new key in its place would leave every sealed bid unopenable.
    """
    if configured is not None:
        try:
            return KeyEncryptionKey(_read_private(configured))
        except FileNotFoundError:
            raise ConfigurationError(
                f"MARKET_BID_KEY_FILE={configured} does not exist; make one with "
                f"`umask 077; head -c {KEY_BYTES} /dev/urandom > {configured}` (a new key only for a "
                "new installation: bids sealed under another key cannot be opened with it)",
                path=str(configured),
            ) from None
    path = home / DEFAULT_KEK_FILE
    try:
        return KeyEncryptionKey(_read_private(path))
    except FileNotFoundError:
        _create(path)
    return KeyEncryptionKey(_read_private(path))
