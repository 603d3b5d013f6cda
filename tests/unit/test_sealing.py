"""Sealed bids without a database: keys, sealing, binding, the digest, and what never leaks."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import pickle
import stat
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.errors import ConfigurationError, InvalidInput
from market.sealed.bids import (
    Attachment,
    BidIdentity,
    Quote,
    SealedBid,
    bidder_token,
    open_attachment,
    open_quote,
    seal_bid,
    utc_text,
)
from market.sealed.keys import (
    BidKeyMismatch,
    DataKey,
    KeyEncryptionKey,
    SealBroken,
    WrappedKey,
    load_kek,
    rewrap,
)
from market.settings import Settings

SUBMITTED = datetime(2026, 3, 2, 9, 30, 15, 250_000, tzinfo=UTC)
IDENTITY = BidIdentity(bid_id=41, procurement="SGZJ-2026-0007", firm_id=1203, version=2)
QUOTE = Quote(mode="amount", value=Decimal("87654.32"))


def _kek() -> KeyEncryptionKey:
    return KeyEncryptionKey(os.urandom(32))


def _sealed(dek: DataKey, **attachments: bytes) -> SealedBid:
    return seal_bid(
        dek, IDENTITY, QUOTE, SUBMITTED, [Attachment(name, data) for name, data in attachments.items()]
    )


def test_a_sealed_quote_and_its_attachments_open_again() -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek, **{"报价单.pdf": b"%PDF-1.7 price list", "资质.zip": b"PK\x03\x04"})
    assert open_quote(dek, sealed) == QUOTE
    assert open_attachment(dek, sealed, 0) == Attachment("报价单.pdf", b"%PDF-1.7 price list")
    assert open_attachment(dek, sealed, 1) == Attachment("资质.zip", b"PK\x03\x04")


def test_a_discount_rate_keeps_its_mode_and_scale() -> None:
    dek = DataKey.generate()
    rate = Quote(mode="discount_rate", value=Decimal("12.50"))
    opened = open_quote(dek, seal_bid(dek, IDENTITY, rate, SUBMITTED))
    assert (opened.mode, str(opened.value)) == ("discount_rate", "12.50")


def test_every_seal_draws_a_fresh_nonce() -> None:
    dek = DataKey.generate()
    first, second = _sealed(dek, a=b"x"), _sealed(dek, a=b"x")
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext
    assert first.attachments[0][:12] != second.attachments[0][:12]


@pytest.mark.parametrize(
    "moved",
    [
        {"bid_id": 42},
        {"procurement": "SGZJ-2026-0008"},
        {"firm_id": 1204},
        {"version": 3},
    ],
)
def test_a_ciphertext_moved_to_another_bid_firm_or_version_does_not_open(moved: dict[str, object]) -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek, **{"a.pdf": b"data"})
    elsewhere = dataclasses.replace(sealed, identity=dataclasses.replace(IDENTITY, **moved))  # type: ignore[arg-type]
    with pytest.raises(SealBroken) as refused:
        open_quote(dek, elsewhere)
    assert "87654" not in refused.value.message
    with pytest.raises(SealBroken):
        open_attachment(dek, elsewhere, 0)


def test_a_moved_ciphertext_fails_the_cipher_even_with_the_bidder_token_forged() -> None:
    # the bidder check comes first; the AAD must hold on its own too
    dek = DataKey.generate()
    sealed = _sealed(dek)
    other_firm = dataclasses.replace(IDENTITY, firm_id=999)
    forged = dataclasses.replace(sealed, identity=other_firm, bidder=bidder_token(dek, 999))
    with pytest.raises(SealBroken, match="does not open"):
        open_quote(dek, forged)


def test_attachments_cannot_be_swapped_with_one_another() -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek, a=b"first", b=b"second")
    swapped = dataclasses.replace(sealed, attachments=sealed.attachments[::-1])
    with pytest.raises(SealBroken):
        open_attachment(dek, swapped, 0)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@pytest.mark.parametrize("part", ["ciphertext", "nonce", "tag"])
def test_a_tampered_sealed_quote_does_not_open(part: str) -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek)
    if part == "nonce":
        tampered = dataclasses.replace(sealed, nonce=_flip(sealed.nonce, 0))
    elif part == "ciphertext":
        tampered = dataclasses.replace(sealed, ciphertext=_flip(sealed.ciphertext, 3))
    else:
        tampered = dataclasses.replace(
            sealed, ciphertext=_flip(sealed.ciphertext, len(sealed.ciphertext) - 1)
        )
    with pytest.raises(SealBroken, match="bid 41 version 2 of SGZJ-2026-0007"):
        open_quote(dek, tampered)


def test_a_tampered_attachment_does_not_open() -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek, a=b"attachment body")
    tampered = dataclasses.replace(sealed, attachments=(_flip(sealed.attachments[0], 20),))
    with pytest.raises(SealBroken):
        open_attachment(dek, tampered, 0)


def test_another_procurements_data_key_does_not_open_a_bid() -> None:
    sealed = _sealed(DataKey.generate())
    with pytest.raises(SealBroken):
        open_quote(DataKey.generate(), sealed)


def test_a_wrapped_data_key_opens_only_for_its_procurement_and_kek() -> None:
    kek, dek = _kek(), DataKey.generate()
    wrapped = kek.wrap(dek, "SGZJ-2026-0007")
    assert wrapped.key_id == kek.key_id
    sealed = _sealed(dek)
    assert open_quote(kek.unwrap(wrapped, "SGZJ-2026-0007"), sealed) == QUOTE
    with pytest.raises(SealBroken, match="SGZJ-2026-0008"):
        kek.unwrap(wrapped, "SGZJ-2026-0008")
    with pytest.raises(SealBroken):
        kek.unwrap(WrappedKey(wrapped.key_id, _flip(wrapped.blob, 15)), "SGZJ-2026-0007")


def test_a_rotated_kek_is_named_by_its_key_id_not_misused() -> None:
    old, new = _kek(), _kek()
    wrapped = old.wrap(DataKey.generate(), "SGZJ-2026-0007")
    with pytest.raises(BidKeyMismatch) as refused:
        new.unwrap(wrapped, "SGZJ-2026-0007")
    assert old.key_id in refused.value.message and new.key_id in refused.value.message
    assert refused.value.details["wrapped_key_id"] == old.key_id


def test_rewrapping_moves_a_data_key_to_the_new_kek_and_bids_still_open() -> None:
    old, new, dek = _kek(), _kek(), DataKey.generate()
    sealed = _sealed(dek)
    rewrapped = rewrap(old.wrap(dek, "SGZJ-2026-0007"), "SGZJ-2026-0007", old, new)
    assert rewrapped.key_id == new.key_id
    assert open_quote(new.unwrap(rewrapped, "SGZJ-2026-0007"), sealed) == QUOTE


def test_the_kek_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_kek(tmp_path)
    path = tmp_path / "keys" / "bid-kek"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert path.stat().st_size == 32
    assert load_kek(tmp_path).key_id == first.key_id
    assert [p.name for p in path.parent.iterdir()] == ["bid-kek"]  # no temporary file left


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_kek_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    load_kek(tmp_path)
    path = tmp_path / "keys" / "bid-kek"
    path.chmod(mode)
    with pytest.raises(ConfigurationError, match=rf"chmod 600 {path}"):
        load_kek(tmp_path)


def test_a_read_only_owner_file_is_accepted(tmp_path: Path) -> None:
    made = load_kek(tmp_path)
    (tmp_path / "keys" / "bid-kek").chmod(0o400)
    assert load_kek(tmp_path).key_id == made.key_id


def test_a_configured_kek_file_is_used_and_never_created(tmp_path: Path) -> None:
    configured = tmp_path / "secrets" / "kek"
    with pytest.raises(ConfigurationError, match="MARKET_BID_KEY_FILE"):
        load_kek(tmp_path, configured)
    assert not configured.exists() and not (tmp_path / "keys").exists()
    configured.parent.mkdir()
    key = os.urandom(32)
    configured.write_bytes(key)
    configured.chmod(0o600)
    assert load_kek(tmp_path, configured).key_id == KeyEncryptionKey(key).key_id


def test_a_kek_file_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    configured = tmp_path / "kek"
    configured.write_bytes(b"0123456789abcdef0123456789abcdef\n")  # 33 bytes: a hex string or newline
    configured.chmod(0o600)
    with pytest.raises(ConfigurationError, match="exactly 32 bytes"):
        load_kek(tmp_path, configured)


def test_the_kek_file_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).bid_key_file is None
    assert Settings.from_env({"MARKET_BID_KEY_FILE": "/run/secrets/kek"}).bid_key_file == Path(
        "/run/secrets/kek"
    )


def _independent_digest(record: dict[str, object]) -> str:
    """What a bidder runs on its receipt: docs/sealed-bids.md, with json and hashlib only."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def test_the_digest_is_recomputable_from_the_documented_fields() -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek, a=b"one", b=b"two")
    receipt = {
        "format": "market-sealed-bid/1",
        "bid_id": 41,
        "procurement": "SGZJ-2026-0007",
        "bidder": sealed.bidder,
        "version": 2,
        "nonce": base64.b64encode(sealed.nonce).decode(),
        "ciphertext": base64.b64encode(sealed.ciphertext).decode(),
        "attachments": [hashlib.sha256(blob).hexdigest() for blob in sealed.attachments],
        "submitted_at": "2026-03-02T09:30:15.250000Z",
    }
    assert _independent_digest(receipt) == sealed.digest
    assert sealed.canonical_bytes() == json.dumps(receipt, sort_keys=True, separators=(",", ":")).encode()


def test_the_digest_is_stable_and_changes_with_any_field() -> None:
    dek = DataKey.generate()
    sealed = _sealed(dek)
    assert sealed.digest == dataclasses.replace(sealed).digest
    china = timezone(timedelta(hours=8))
    assert dataclasses.replace(sealed, submitted_at=SUBMITTED.astimezone(china)).digest == sealed.digest
    changed = [
        dataclasses.replace(sealed, submitted_at=SUBMITTED + timedelta(microseconds=1)),
        dataclasses.replace(sealed, identity=dataclasses.replace(IDENTITY, version=3)),
        dataclasses.replace(sealed, ciphertext=_flip(sealed.ciphertext, 0)),
        dataclasses.replace(sealed, attachments=(b"x",)),
    ]
    assert len({sealed.digest, *(c.digest for c in changed)}) == 5


def test_the_bidder_token_is_per_procurement_and_hides_the_firm_id() -> None:
    first, second = DataKey.generate(), DataKey.generate()
    assert bidder_token(first, 1203) == bidder_token(first, 1203)
    assert bidder_token(first, 1203) != bidder_token(first, 1204)
    assert bidder_token(first, 1203) != bidder_token(second, 1203)
    # a dump must not let anyone try every firm id against a plain hash
    assert bidder_token(first, 1203) != hashlib.sha256(b"1203").hexdigest()
    assert "1203" not in _sealed(first).canonical_bytes().decode()


def test_no_repr_shows_a_key_or_a_quote() -> None:
    raw = os.urandom(32)
    kek, dek = KeyEncryptionKey(raw), DataKey(raw)
    quote = Quote(mode="amount", value=Decimal("987654.31"))
    attachment = Attachment("报价单-某公司.pdf", b"secret body")
    shown = " ".join(map(repr, (kek, dek, quote, attachment, seal_bid(dek, IDENTITY, quote, SUBMITTED))))
    for secret in (raw.hex(), repr(raw), "987654", "某公司", "secret body"):
        assert secret not in shown
    assert kek.key_id in repr(kek)


def test_keys_refuse_to_be_pickled() -> None:
    for key in (_kek(), DataKey.generate()):
        with pytest.raises(TypeError):
            pickle.dumps(key)


def test_a_quotes_digits_never_appear_in_the_sealed_record() -> None:
    dek = DataKey.generate()
    # at least six digits: a shorter string turns up by chance in random base64 ("35" did)
    for value in ("87654.32", "1000000.00", "6139.47"):
        sealed = seal_bid(dek, IDENTITY, Quote("amount", Decimal(value)), SUBMITTED)
        stored = sealed.canonical_bytes() + sealed.nonce + sealed.ciphertext
        for needle in (value, value.replace(".", ""), value.encode().hex()):
            assert needle.encode() not in stored


def test_a_quotes_length_does_not_show_in_its_ciphertext() -> None:
    dek = DataKey.generate()
    sizes = {
        len(seal_bid(dek, IDENTITY, Quote(mode, Decimal(v)), SUBMITTED).ciphertext)
        for mode, v in [("amount", "1"), ("amount", "123456789.99"), ("discount_rate", "7.25")]
    }
    assert len(sizes) == 1


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1E+60"])
def test_a_quote_that_cannot_be_sealed_is_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Quote("amount", Decimal(value)).plaintext()
    assert refused.value.field == "quote"


def test_a_naive_submission_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seal_bid(DataKey.generate(), IDENTITY, QUOTE, datetime(2026, 3, 2, 9, 30))


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_the_submission_time_is_written_as_documented(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert utc_text(aware) == aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_derived_key_is_the_documented_hmac_each_time() -> None:
    raw = os.urandom(32)
    dek = DataKey(raw)
    label = b"market bidder token/1"
    for _ in range(2):  # made once, then kept: the same bytes
        assert dek.subkey(label) == hmac.new(raw, label, "sha256").digest()
    assert dek.subkey(b"another") == hmac.new(raw, b"another", "sha256").digest()
