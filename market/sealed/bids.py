"""Sealing one version of a bid: the quote and each attachment under the procurement's data key,
bound to the bid's identity, and the canonical sealed bid whose SHA-256 the receipt, the opening
list and the selection record carry.

Nothing here logs, formats or puts a quote into an error message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from cryptography.exceptions import InvalidTag

from market.errors import InvalidInput
from market.sealed.keys import NONCE_BYTES, DataKey, SealBroken, canonical_json

SEALED_BID_FORMAT = "market-sealed-bid/1"
QUOTE_PLAINTEXT_BYTES = 64
"""Every quote is padded to this length before encryption, so a ciphertext's length does not
tell how many digits the quote has."""

QuoteMode = Literal["amount", "discount_rate"]
QUOTE_MODES: tuple[str, ...] = get_args(QuoteMode)


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer")
    return value


@dataclass(frozen=True, slots=True)
class BidIdentity:
    """What a sealed bid is bound to. Its ciphertexts open only under exactly these values."""

    bid_id: int
    procurement: str
    """The platform reference, e.g. SGZJ-2026-0001."""
    firm_id: int
    version: int

    def __post_init__(self) -> None:
        _positive("bid_id", self.bid_id)
        _positive("firm_id", self.firm_id)
        _positive("version", self.version)
        if not self.procurement or not self.procurement.isascii() or not self.procurement.isprintable():
            raise ValueError("procurement must be a printable ASCII platform reference")

    def associated_data(self, part: str, **extra: object) -> bytes:
        return canonical_json(
            {
                "format": SEALED_BID_FORMAT,
                "part": part,
                "bid_id": self.bid_id,
                "procurement": self.procurement,
                "firm_id": self.firm_id,
                "version": self.version,
                **extra,
            }
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """A bidder's quote: an amount in yuan or a discount rate (下浮率), as the bidder typed it."""

    mode: QuoteMode
    value: Decimal = field(repr=False)

    def __repr__(self) -> str:
        return f"Quote(mode={self.mode!r}, value=<sealed>)"

    def __post_init__(self) -> None:
        if self.mode not in QUOTE_MODES:
            raise InvalidInput(f"quote mode must be one of {', '.join(QUOTE_MODES)}", field="mode")
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise InvalidInput("a quote is a finite decimal number", field="quote")

    def plaintext(self) -> bytes:
        text = canonical_json({"mode": self.mode, "value": format(self.value, "f")})
        if len(text) > QUOTE_PLAINTEXT_BYTES:
            raise InvalidInput("the quote has too many digits", field="quote")
        return text.ljust(QUOTE_PLAINTEXT_BYTES, b" ")

    @classmethod
    def from_plaintext(cls, data: bytes) -> Quote:
        try:
            parsed = json.loads(data.decode("ascii"))
            return cls(mode=parsed["mode"], value=Decimal(parsed["value"]))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, InvalidOperation):
            raise ValueError("opened quote is not in the sealed format") from None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A bid attachment before sealing; its name is sealed with it, since a name such as
    报价单-某公司.pdf would tell who bid."""

    name: str
    content: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"Attachment(<sealed>, {len(self.content)} bytes)"

    def plaintext(self) -> bytes:
        encoded = self.name.encode("utf-8")
        if len(encoded) > 0xFFFF:
            raise InvalidInput("the attachment's name is too long", field="attachments")
        return len(encoded).to_bytes(2, "big") + encoded + self.content

    @classmethod
    def from_plaintext(cls, data: bytes) -> Attachment:
        size = int.from_bytes(data[:2], "big")
        return cls(name=data[2 : 2 + size].decode("utf-8"), content=data[2 + size :])


@dataclass(frozen=True, slots=True)
class SealedBid:
    """One sealed version of a bid as the database stores it: nothing in it reveals the quote,
    the attachments' names or contents, or (without the data key) the firm."""

    identity: BidIdentity
    bidder: str
    """Hex HMAC of the firm id under the procurement's data key: lets the service keep one live
    bid per firm (a unique index) and find a firm's own bid without storing who bid."""
    nonce: bytes
    ciphertext: bytes
    attachments: tuple[bytes, ...]
    """Each attachment's nonce + ciphertext + tag."""
    submitted_at: datetime

    def canonical_bytes(self) -> bytes:
        """The canonical sealed bid, defined in docs/sealed-bids.md."""
        return canonical_json(
            {
                "format": SEALED_BID_FORMAT,
                "bid_id": self.identity.bid_id,
                "procurement": self.identity.procurement,
                "bidder": self.bidder,
                "version": self.identity.version,
                "nonce": base64.b64encode(self.nonce).decode("ascii"),
                "ciphertext": base64.b64encode(self.ciphertext).decode("ascii"),
                "attachments": [hashlib.sha256(sealed).hexdigest() for sealed in self.attachments],
                "submitted_at": utc_text(self.submitted_at),
            }
        )

    @property
    def digest(self) -> str:
        """SHA-256 of :meth:`canonical_bytes`, lowercase hex: the receipt's digest."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


def utc_text(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, always with microseconds."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("submitted_at must be timezone-aware")
    # isoformat in UTC always ends "+00:00"; it writes the same digits as
    # strftime("%Y-%m-%dT%H:%M:%S.%fZ") (years 1000-9999) in a third of the time
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def bidder_token(dek: DataKey, firm_id: int) -> str:
    """The firm as the bid rows name it: unlinkable across procurements (each has its own data
    key) and not guessable from a database dump (a plain firm id, or a hash of one, would be)."""
    _positive("firm_id", firm_id)
    token_key = dek.subkey(b"market bidder token/1")
    return hmac.new(token_key, str(firm_id).encode("ascii"), hashlib.sha256).hexdigest()


def _encrypt(dek: DataKey, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce, dek.aead().encrypt(nonce, plaintext, aad)


def _decrypt(dek: DataKey, nonce: bytes, ciphertext: bytes, aad: bytes, identity: BidIdentity) -> bytes:
    try:
        return dek.aead().decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise SealBroken(
            f"sealed bid {identity.bid_id} version {identity.version} of {identity.procurement} does "
            "not open: it was altered, moved to another bid, firm or version, or sealed under "
            "another data key",
            bid_id=identity.bid_id,
            version=identity.version,
            procurement=identity.procurement,
        ) from None


def seal_bid(
    dek: DataKey,
    identity: BidIdentity,
    quote: Quote,
    submitted_at: datetime,
    attachments: Sequence[Attachment] = (),
) -> SealedBid:
    """Seal one version of a bid. A fresh nonce for the quote and for each attachment."""
    utc_text(submitted_at)
    nonce, ciphertext = _encrypt(dek, quote.plaintext(), identity.associated_data("quote"))
    sealed_attachments = []
    for index, attachment in enumerate(attachments):
        a_nonce, a_cipher = _encrypt(
            dek, attachment.plaintext(), identity.associated_data("attachment", index=index)
        )
        sealed_attachments.append(a_nonce + a_cipher)
    return SealedBid(
        identity=identity,
        bidder=bidder_token(dek, identity.firm_id),
        nonce=nonce,
        ciphertext=ciphertext,
        attachments=tuple(sealed_attachments),
        submitted_at=submitted_at,
    )


def open_quote(dek: DataKey, sealed: SealedBid) -> Quote:
    """The quote, for the opening only. ``sealed.identity`` is what the service read from the
    bid's row: a ciphertext moved to another row does not open under it."""
    identity = sealed.identity
    if not hmac.compare_digest(sealed.bidder, bidder_token(dek, identity.firm_id)):
        raise SealBroken(
            f"sealed bid {identity.bid_id} version {identity.version} of {identity.procurement} "
            "names another bidder than the firm it is read for",
            bid_id=identity.bid_id,
            version=identity.version,
            procurement=identity.procurement,
        )
    plaintext = _decrypt(dek, sealed.nonce, sealed.ciphertext, identity.associated_data("quote"), identity)
    return Quote.from_plaintext(plaintext)


def open_attachment(dek: DataKey, sealed: SealedBid, index: int) -> Attachment:
    """Attachment ``index`` of a sealed bid, for the opening only."""
    blob = sealed.attachments[index]
    aad = sealed.identity.associated_data("attachment", index=index)
    plaintext = _decrypt(dek, blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad, sealed.identity)
    return Attachment.from_plaintext(plaintext)


ENVELOPE_PLAINTEXT_BYTES = 256
"""Envelopes are padded to this length, so that their size says nothing about the submitter."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who submitted one version of a bid, sealed beside it until the opening: the firm (which
    the bid row names only by token), the user and the client address."""

    firm_id: int
    user_id: int
    address: str = field(default="", repr=False)

    def plaintext(self) -> bytes:
        text = canonical_json({"firm_id": self.firm_id, "user_id": self.user_id, "address": self.address})
        if len(text) > ENVELOPE_PLAINTEXT_BYTES:
            raise ValueError("an envelope's address is too long")
        return text.ljust(ENVELOPE_PLAINTEXT_BYTES, b" ")


def _envelope_aad(bid_id: int, procurement: str, version: int) -> bytes:
    # Not the firm: the envelope is how the opening learns the firm. The quote's own
    # associated data binds the firm, so an envelope naming another firm does not open it.
    return canonical_json(
        {
            "format": SEALED_BID_FORMAT,
            "part": "envelope",
            "bid_id": _positive("bid_id", bid_id),
            "procurement": procurement,
            "version": _positive("version", version),
        }
    )


def seal_envelope(dek: DataKey, identity: BidIdentity, envelope: Envelope) -> bytes:
    """The envelope of ``identity``'s version: nonce ‖ ciphertext ‖ tag."""
    if envelope.firm_id != identity.firm_id:
        raise ValueError("the envelope names another firm than the bid it is sealed with")
    aad = _envelope_aad(identity.bid_id, identity.procurement, identity.version)
    nonce, ciphertext = _encrypt(dek, envelope.plaintext(), aad)
    return nonce + ciphertext


def open_envelope(dek: DataKey, bid_id: int, procurement: str, version: int, blob: bytes) -> Envelope:
    """Who submitted version ``version`` of bid ``bid_id``, for the opening only."""
    aad = _envelope_aad(bid_id, procurement, version)
    try:
        plaintext = dek.aead().decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        parsed = json.loads(plaintext.decode("ascii"))
        return Envelope(int(parsed["firm_id"]), int(parsed["user_id"]), str(parsed["address"]))
    except (InvalidTag, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise SealBroken(
            f"the envelope of sealed bid {bid_id} version {version} of {procurement} does not open: "
            "it was altered, moved to another bid or version, or sealed under another data key",
            bid_id=bid_id,
            version=version,
            procurement=procurement,
        ) from None
