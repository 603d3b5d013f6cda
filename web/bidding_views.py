"""What the intermediary's bidding pages (web.controllers.bidding_pages) show, built from the
domain's answers: a procurement as a line of the list, the terms that matter to a bidder,
the bid's own state, and what a person typed read back into a quote.

No Chinese sentence is built here: refusals are codes with their parameters
(:class:`FieldError`), and ``templates/bidding/_messages.html`` says them in Chinese.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from market.bidding.rules import ATTACHMENT_NAME, BID_MAX_FILES, BID_MAX_TOTAL_BYTES
from market.clock import local
from market.procurement.terms import AttachmentTerms, AttachmentType, QuoteMode
from market.sealed.bids import Attachment

CHINA_TIME = "%Y-%m-%d %H:%M"
CHINA_SECONDS = "%Y-%m-%d %H:%M:%S"
#: Most characters of a quote as typed: NUMERIC(14, 2) and a sign, a point, separators.
QUOTE_CHARACTERS = 24


def china(moment: datetime | None, pattern: str = CHINA_TIME) -> str:
    return local(moment).strftime(pattern) if moment else ""


def yuan(value: Decimal | None) -> str:
    return f"¥{value:,.2f}" if value is not None else ""


@dataclass(frozen=True, slots=True)
class FieldError:
    """A refusal the page shows beside ``field`` (``quote``, ``attachments``, ``bid``…):
    ``code`` picks the Chinese sentence, ``params`` fill it in."""

    field: str
    code: str
    params: dict[str, Any] = default(default_factory=dict)


class BidState(enum.StrEnum):
    """The firm's own bid on a procurement, as its list and form show it."""

    SUBMITTED = "submitted"  # 已报价
    TO_RECONFIRM = "to_reconfirm"  # 需重新确认
    WITHDRAWN = "withdrawn"  # 已撤回


def bid_state(withdrawn_at: datetime | None, counts: bool) -> BidState:
    if withdrawn_at is not None:
        return BidState.WITHDRAWN
    return BidState.SUBMITTED if counts else BidState.TO_RECONFIRM


def quote_from_text(mode: QuoteMode, typed: str) -> Decimal | FieldError:
    """The number a person typed in the quote field, or why it is not one. Thousands
    separators, a ¥ or a % and spaces are forgiven: they are how people write these. The
    terms (ceiling, floor, places) are :func:`market.bidding.rules.quote_reason`'s."""
    cleaned = typed.strip().replace(",", "").replace("，", "").replace(" ", "")
    cleaned = cleaned.removeprefix("¥").removeprefix("￥").removesuffix("%").removesuffix("％")
    if not cleaned:
        return FieldError("quote", "quote-missing", {"mode": mode.value})
    shown = typed if len(typed) <= QUOTE_CHARACTERS else typed[:QUOTE_CHARACTERS] + "…"
    try:
        value = Decimal(cleaned) if len(cleaned) <= QUOTE_CHARACTERS else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return FieldError("quote", "quote-not-a-number", {"typed": shown, "mode": mode.value})
    return value


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """What a bid may carry, from reference data and the bid rules, as the form shows it."""

    types: tuple[AttachmentType, ...]
    max_bytes: int
    max_files: int
    max_total_bytes: int

    @property
    def accept(self) -> str:
        return ",".join(f".{t.extension}" for t in self.types)

    @property
    def max_bytes_text(self) -> str:
        return size_text(self.max_bytes)

    @property
    def max_total_text(self) -> str:
        return size_text(self.max_total_bytes)


def attachment_limits(terms: AttachmentTerms) -> AttachmentLimits:
    return AttachmentLimits(
        types=terms.types,
        max_bytes=min(terms.max_bytes, BID_MAX_TOTAL_BYTES),
        max_files=min(terms.max_files, BID_MAX_FILES),
        max_total_bytes=min(terms.max_total_bytes, BID_MAX_TOTAL_BYTES),
    )


def attachment_problem(limits: AttachmentLimits, files: Sequence[Attachment]) -> FieldError | None:
    """The first thing wrong with the chosen files, said so that the page can put it in
    Chinese beside the field; the service checks the same again (rules.check_attachments)."""
    if len(files) > limits.max_files:
        return FieldError("attachments", "attachment-count", {"most": limits.max_files})
    allowed = "、".join(f"{t.name}（.{t.extension}）" for t in limits.types)
    total = 0
    for file in files:
        name = file.name.strip()
        if not name or len(name) > ATTACHMENT_NAME or not name.isprintable():
            return FieldError("attachments", "attachment-name", {"name": name[:40]})
        kind = next((t for t in limits.types if name.lower().endswith("." + t.extension)), None)
        if kind is None:
            return FieldError("attachments", "attachment-type", {"name": name, "allowed": allowed})
        if not file.content:
            return FieldError("attachments", "attachment-empty", {"name": name})
        if not file.content.startswith(kind.magic):
            return FieldError("attachments", "attachment-content", {"name": name, "kind": kind.name})
        if len(file.content) > limits.max_bytes:
            return FieldError("attachments", "attachment-size", {"name": name, "most": limits.max_bytes_text})
        total += len(file.content)
    if total > limits.max_total_bytes:
        return FieldError("attachments", "attachment-total", {"most": limits.max_total_text})
    return None


@dataclass(frozen=True, slots=True)
class Remaining:
    """Time left until the bid deadline, for the page's first paint (static/bidding.js keeps
    it live from the same numbers)."""

    deadline_iso: str
    server_now_iso: str
    seconds: int

    @property
    def parts(self) -> tuple[int, int, int]:
        days, rest = divmod(max(self.seconds, 0), 86400)
        return days, rest // 3600, (rest % 3600) // 60


def remaining(deadline: datetime | None, now: datetime) -> Remaining | None:
    if deadline is None:
        return None
    return Remaining(deadline.isoformat(), now.isoformat(), int((deadline - now).total_seconds()))
