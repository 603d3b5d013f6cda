"""Request and response bodies of the bid API (msgspec Structs)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar.params import QueryParameter
from msgspec import Meta, Struct

from market.bidding.opening_list import OpeningList
from market.bidding.rules import ATTACHMENT_NAME, BID_MAX_FILES, BID_MAX_TOTAL_BYTES
from market.bidding.store import Receipt
from market.errors import InvalidInput
from market.sealed.bids import Attachment, Quote
from web.params import INT64_MAX

ProcurementQuery = Annotated[
    int, QueryParameter(ge=1, le=INT64_MAX, description="the procurement (a positive 64-bit integer)")
]
#: A bid arrives as one JSON request: its files in base64 (4 bytes per 3) plus room for the rest.
BID_BODY_BYTES = BID_MAX_TOTAL_BYTES * 4 // 3 + 64 * 1024


class QuoteIn(Struct, forbid_unknown_fields=True):
    mode: Annotated[str, Meta(description="amount (报价金额, yuan) or discount_rate (下浮率, percent)")]
    value: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=24,
            description='a decimal as text, e.g. "152000.00" or "8.5"; never a JSON number (no float)',
        ),
    ]

    def quote(self) -> Quote:
        try:
            value = Decimal(self.value.strip())
        except InvalidOperation:
            raise InvalidInput(
                "quote.value is a decimal number as text, e.g. 152000.00", field="quote.value"
            ) from None
        return Quote(mode=self.mode, value=value)  # type: ignore[arg-type]  # Quote checks the mode


class AttachmentIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=ATTACHMENT_NAME)]
    content_base64: Annotated[str, Meta(min_length=1, description="the file, standard base64")]


def _attachments(items: list[AttachmentIn]) -> list[Attachment]:
    files = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                "content_base64 is not standard base64", field=f"attachments[{index}]"
            ) from None
        files.append(Attachment(item.name, content))
    return files


class BidCreate(Struct, forbid_unknown_fields=True):
    procurement_id: Annotated[int, Meta(ge=1, le=INT64_MAX)]
    quote: QuoteIn
    attachments: Annotated[list[AttachmentIn], Meta(max_length=BID_MAX_FILES)] = []

    def files(self) -> list[Attachment]:
        return _attachments(self.attachments)


class BidReplace(Struct, forbid_unknown_fields=True):
    quote: QuoteIn
    attachments: Annotated[list[AttachmentIn], Meta(max_length=BID_MAX_FILES)] = []

    def files(self) -> list[Attachment]:
        return _attachments(self.attachments)


class ReceiptView(Struct):
    """回执: keep it to check, after the opening, that the bid that counted is yours."""

    bid_id: int
    version: int
    procurement_id: int
    reference: str
    submitted_at: datetime
    digest: Annotated[str, Meta(description="SHA-256 of the canonical sealed bid (docs/sealed-bids.md)")]
    withdrawn_at: datetime | None
    counts: Annotated[
        bool, Meta(description="false once withdrawn, or until re-confirmed after an amendment")
    ]
    procurement_status: str
    cancel_reason: str

    @classmethod
    def of(cls, r: Receipt) -> ReceiptView:
        return cls(
            bid_id=r.bid_id,
            version=r.version,
            procurement_id=r.procurement_id,
            reference=r.reference,
            submitted_at=r.submitted_at,
            digest=r.digest,
            withdrawn_at=r.withdrawn_at,
            counts=r.counts,
            procurement_status=r.procurement_status.value,
            cancel_reason=r.cancel_reason,
        )


class ReceiptFile(Struct):
    """The receipt as a file to keep (回执): what the opening list will show for the bid."""

    bid_id: int
    version: int
    procurement_id: int
    reference: str
    submitted_at: datetime
    digest_sha256: str

    @classmethod
    def of(cls, r: Receipt) -> ReceiptFile:
        return cls(r.bid_id, r.version, r.procurement_id, r.reference, r.submitted_at, r.digest)


class OpeningView(Struct):
    """开标记录: every live bid at the deadline, whether it counted and why not."""

    procurement_id: int
    reference: str
    opened_at: datetime
    list_sha256: str
    entries: list[dict[str, Any]]

    @classmethod
    def of(cls, o: OpeningList) -> OpeningView:
        return cls(o.procurement_id, o.reference, o.opened_at, o.list_sha256, o.entries)
