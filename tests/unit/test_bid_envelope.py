"""The envelope sealed beside each bid version (who submitted it): opens only for its own bid,
procurement and version, and has one length whoever sent it."""

from __future__ import annotations

import pytest

from market.sealed.bids import BidIdentity, Envelope, open_envelope, seal_envelope
from market.sealed.keys import DataKey, SealBroken

DEK = DataKey(bytes(32))
IDENTITY = BidIdentity(7, "SGZJ-2026-0001", 42, 2)


def test_an_envelope_opens_for_its_own_bid_version_only() -> None:
    blob = seal_envelope(DEK, IDENTITY, Envelope(42, 9, "2001:db8::1"))
    assert open_envelope(DEK, 7, "SGZJ-2026-0001", 2, blob) == Envelope(42, 9, "2001:db8::1")
    for bid_id, procurement, version in [
        (8, "SGZJ-2026-0001", 2),
        (7, "SGZJ-2026-0002", 2),
        (7, "SGZJ-2026-0001", 1),
    ]:
        with pytest.raises(SealBroken, match="envelope"):
            open_envelope(DEK, bid_id, procurement, version, blob)
    with pytest.raises(SealBroken):
        open_envelope(DataKey(bytes([1]) * 32), 7, "SGZJ-2026-0001", 2, blob)


def test_envelopes_have_one_length_and_name_their_bids_firm() -> None:
    short = seal_envelope(DEK, IDENTITY, Envelope(42, 1, ""))
    long = seal_envelope(DEK, IDENTITY, Envelope(42, 123456789, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
    assert len(short) == len(long)
    with pytest.raises(ValueError, match="another firm"):
        seal_envelope(DEK, IDENTITY, Envelope(43, 1, ""))
