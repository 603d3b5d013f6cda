"""The rules of a delivery (成果文件 / 竣工) and its acceptance (验收), without a session.

An intermediary service is delivered as its result files; a small works as a completion
report (竣工): a note that says what was finished, files optional. The delivery is late when
it comes after the contract's term ends (the end day, China time, counts as in time).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from market.clock import SHANGHAI
from market.errors import Conflict, InvalidInput
from market.text import unsafe_character

#: Most characters of a delivery's note (交付说明 / 竣工报告).
NOTE = 4000
#: Most characters of the owner's reasons for returning a delivery (退回理由).
RETURN_REASON = 2000

Decision = Literal["accepted", "returned"]
ACCEPTED: Decision = "accepted"
RETURNED: Decision = "returned"


class DeliveryRefused(Conflict):
    """The procurement or the delivery is not where this act can happen."""

    code = "delivery-refused"


def checked_text(value: str, field: str, most: int, what: str, *, required: bool) -> str:
    """``value`` stripped, or the refusal naming ``field``: empty when required, too long,
    or holding a character a page could not show faithfully."""
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{what} is required ({field})", field=field)
    if len(text) > most:
        raise InvalidInput(f"{what} is at most {most} characters ({len(text)} given)", field=field, most=most)
    unsafe = unsafe_character(text)
    if unsafe is not None:
        raise InvalidInput(f"{what} {unsafe[1]}", field=field)
    return text


def delivery_note(kind: str, note: str, files: int) -> str:
    """The note of a delivery of a procurement of ``kind`` with ``files`` files: a service
    delivers at least one result file; a works delivers its completion report in the note."""
    if kind == "small_works":
        return checked_text(note, "note", NOTE, "the completion report (竣工报告)", required=True)
    if files < 1:
        raise InvalidInput(
            "an intermediary service is delivered as its result files (成果文件): attach at least one",
            field="files",
        )
    return checked_text(note, "note", NOTE, "the note", required=False)


def term_end(contract_data: Mapping[str, Any] | None) -> datetime | None:
    """When the contract's term ends: the end of its last day in China time, from the
    confirmed contract's data (``term.end``, an ISO date). None without a contract or term."""
    if not contract_data:
        return None
    term = contract_data.get("term")
    end = term.get("end") if isinstance(term, Mapping) else None
    if not isinstance(end, str):
        return None
    try:
        day = date.fromisoformat(end)
    except ValueError:
        return None
    # the whole last day counts: the moment before the next day begins in Shanghai
    next_day = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)
    return (next_day - timedelta(microseconds=1)).astimezone(UTC)


def on_time(submitted_at: datetime, due_at: datetime | None) -> bool:
    """Whether the accepted delivery came in time (True when the contract set no end)."""
    return due_at is None or submitted_at <= due_at


def check_open(decision: str | None, delivery_id: int) -> None:
    """A delivery is accepted or returned once."""
    if decision is not None:
        said = "accepted" if decision == ACCEPTED else "returned"
        raise DeliveryRefused(
            f"delivery {delivery_id} was already {said}; each delivery is decided once",
            decision=decision,
        )
