"""When the owner may ask for direct selection (直接选取), and what a supervisor's decision
needs: plain data in, a refusal or the checked text out. No database, no clock.

Direct selection is the way out of repeated 流标, not a method to publish with: a failed
procurement whose chain (it and the attempts before it) has failed at least the kind's
``direct_after_failed_attempts`` times, and that has no next attempt yet, may be followed by a
directly selected attempt — asked for by its owner, naming one firm eligible now and why,
and approved by a supervisor. A rejection says why; a request is decided once.
"""

from __future__ import annotations

from dataclasses import dataclass

from market.errors import Conflict, InvalidInput
from market.procurement import limits

APPROVED = "approved"
REJECTED = "rejected"
DECISIONS = (APPROVED, REJECTED)


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the rule needs to know about the failed procurement a request is made on."""

    reference: str
    kind_name: str
    needed: int | None  # the kind's direct_after_failed_attempts; None: no direct selection
    failed_attempts: int  # this attempt and the ones before it that failed
    pending_request: int | None  # the id of a request still waiting on it


def request_refusal(facts: RequestFacts) -> Conflict | None:
    """Why a request for direct selection cannot be made on this procurement now, if it cannot.
    (That it failed and has no next attempt is the service's check, shared with re-publication.)"""
    if facts.needed is None:
        return Conflict(
            f"{facts.kind_name} has no direct selection: re-publish the procurement instead",
            needed=None,
        )
    if facts.failed_attempts < facts.needed:
        return Conflict(
            f"direct selection may be requested after {facts.needed} failed attempts (流标); "
            f"the chain of {facts.reference} has {facts.failed_attempts} — re-publish it first",
            needed=facts.needed,
            failed_attempts=facts.failed_attempts,
        )
    if facts.pending_request is not None:
        return Conflict(
            f"a request for direct selection on {facts.reference} is waiting for a supervisor "
            f"(request {facts.pending_request})",
            request_id=facts.pending_request,
        )
    return None


def checked_text(value: str, field: str, what: str) -> str:
    """A reason or note that says something, within the reason limit; stripped."""
    text = value.strip()
    if not text:
        raise InvalidInput(f"say {what} ({field})", field=field)
    if len(text) > limits.REASON:
        raise InvalidInput(
            f"the {field} is at most {limits.REASON} characters ({len(text)} given)", field=field
        )
    return text


def decision_refusal(decided: str | None, decided_at_text: str) -> Conflict | None:
    """A request is decided once: approving or rejecting it again is a 409 saying how it went."""
    if decided is None:
        return None
    return Conflict(
        f"this request was already {decided} at {decided_at_text}; a decided request is not decided again",
        decision=decided,
    )


def checked_note(approve: bool, note: str) -> str:
    """A rejection says why (the owner reads it and may ask again); an approval may add a note."""
    if approve:
        text = note.strip()
        if len(text) > limits.REASON:
            raise InvalidInput(
                f"the note is at most {limits.REASON} characters ({len(text)} given)", field="note"
            )
        return text
    return checked_text(note, "note", "why the request is rejected")
