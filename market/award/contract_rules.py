"""Pure rules of the contract both parties confirm online (合同在线确认): what the owner may
write in a draft, the contract's number and data, who confirms in which order, and every
refusal of a confirmation (the wrong party, twice, late, a stale digest) — with the data a
person needs to act on it. No session, no clock: :mod:`market.award.contract` passes what it
loaded and the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from market.clock import local
from market.errors import Conflict, InvalidInput, PermissionDenied

Side = Literal["owner", "firm"]

#: What the owner writes, per contract kind; everything else comes from stored data.
OWNER_FIELDS: Mapping[str, frozenset[str]] = {
    "service_contract": frozenset(
        {"term", "scope", "payments", "deliverables", "quality_requirements", "dispute_resolution"}
    ),
    "works_contract": frozenset(
        {
            "term",
            "scope",
            "payments",
            "site",
            "project_manager",
            "quality_standard",
            "warranty_months",
            "retention_percent",
            "dispute_resolution",
        }
    ),
}
#: The contract kind of each procurement kind.
CONTRACT_KIND: Mapping[str, str] = {
    "intermediary_service": "service_contract",
    "small_works": "works_contract",
}
#: The owner's party key and the firm's party key in each kind's data.
PARTY_KEYS: Mapping[str, tuple[str, str]] = {
    "service_contract": ("client", "provider"),
    "works_contract": ("employer", "contractor"),
}


class ContractRefused(Conflict):
    """A draft or a confirmation clashes with where the contract stands."""

    code = "contract-refused"


@dataclass(frozen=True, slots=True)
class SigningState:
    """The current draft as the rules see it (None before the first draft)."""

    sequence: int
    digest: str
    owner_confirmed_at: datetime | None
    firm_confirmed_at: datetime | None


def document_number(reference: str, award_id: int, sequence: int) -> str:
    """合同编号: the procurement's reference, the award and the draft, e.g. ``SGZJ-2026-0001-HT-3-1``."""
    return f"{reference}-HT-{award_id}-{sequence}"


def owner_terms(kind: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The owner's part of the draft: only the fields the kind lets the owner write (the
    parties, the amount, the procurement and the number are the platform's)."""
    allowed = OWNER_FIELDS[kind]
    for name in sorted(given):
        if name not in allowed:
            raise InvalidInput(
                f"{name} is not something the owner writes in a {kind} "
                f"(allowed: {', '.join(sorted(allowed))}); "
                "the parties, the amount and the procurement come from the platform's records",
                field=name,
            )
    return dict(given)


def contract_data(
    kind: str,
    owner_part: Mapping[str, Any],
    *,
    number: str,
    procurement: Mapping[str, Any],
    owner: Mapping[str, Any],
    firm: Mapping[str, Any],
    amount: str,
    issued_on: date,
) -> dict[str, Any]:
    """The JSON-like data of the contract (``contracts.document_from_dict`` validates it)."""
    first, second = PARTY_KEYS[kind]
    return {
        **owner_part,
        "document_number": number,
        "procurement": dict(procurement),
        first: dict(owner),
        second: dict(firm),
        "amount": amount,
        "issued_on": issued_on.isoformat(),
    }


def check_may_draft(status: str, due_at: datetime | None, state: SigningState | None, now: datetime) -> None:
    """The owner drafts (or re-drafts) while the procurement is awarded, before the limit,
    and only until the firm confirmed (a confirmed draft is the contract)."""
    if status != "awarded":
        raise ContractRefused(
            f"the contract is drafted while the procurement is awarded (已定标); it is {status}",
            reason="status",
            procurement_status=status,
        )
    _check_in_time(due_at, now)
    if state is not None and state.firm_confirmed_at is not None:
        raise ContractRefused(
            "both parties have confirmed the contract; it can no longer be re-drafted", reason="signed"
        )


def check_confirmation(
    side: Side | None,
    status: str,
    due_at: datetime | None,
    state: SigningState | None,
    digest: str,
    now: datetime,
) -> None:
    """Refuse a confirmation, naming why, or let it through: only the owner's organisation or
    the awarded firm (403), while awarded, before the limit (409 naming it), once per side
    (409), the owner first (409), of the current draft's digest (409 naming the current one)."""
    if side is None:
        raise PermissionDenied(
            "only the owner's organisation (甲方) and the awarded firm (乙方) confirm this contract"
        )
    if status != "awarded":
        raise ContractRefused(
            f"the contract is confirmed while the procurement is awarded (已定标); it is {status}",
            reason="status",
            procurement_status=status,
        )
    _check_in_time(due_at, now)
    if state is None:
        raise ContractRefused(
            "the owner has not drafted the contract yet: there is nothing to confirm", reason="no_draft"
        )
    confirmed_at = state.owner_confirmed_at if side == "owner" else state.firm_confirmed_at
    if confirmed_at is not None:
        raise ContractRefused(
            f"your side already confirmed draft {state.sequence} at {local(confirmed_at):%Y-%m-%d %H:%M} "
            "(北京时间); each party confirms once",
            reason="twice",
            confirmed_at=confirmed_at,
            sequence=state.sequence,
        )
    if side == "firm" and state.owner_confirmed_at is None:
        raise ContractRefused(
            "the owner (甲方) confirms the contract first; the firm confirms after it",
            reason="owner_first",
            sequence=state.sequence,
        )
    if digest != state.digest:
        raise ContractRefused(
            f"the digest confirmed is not that of the current draft {state.sequence} "
            f"({state.digest[:16]}…): the draft changed since it was read; read it again and confirm it",
            reason="stale",
            current_digest=state.digest,
            sequence=state.sequence,
        )


def past_due(due_at: datetime | None, now: datetime) -> bool:
    """Whether the time to confirm the contract has ended (a limit not set yet has not)."""
    return due_at is not None and now >= due_at


def _check_in_time(due_at: datetime | None, now: datetime) -> None:
    if due_at is not None and past_due(due_at, now):  # the limit, named in the refusal
        raise ContractRefused(
            f"the time to confirm the contract ended at {local(due_at):%Y-%m-%d %H:%M} (北京时间); "
            "the owner may award the next alternate (另行确定中选单位)",
            reason="late",
            due_at=due_at,
        )


def check_reason(reason: str, most: int) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("say why the award passes to the next firm (reason)", field="reason")
    if len(text) > most:
        raise InvalidInput(f"the reason may have at most {most} characters", field="reason")
    return text


def check_may_reassign(status: str, past_due: bool, due_at: datetime | None) -> None:
    """The owner awards the next alternate only when awarded and a contract limit of the
    current award is past due (flagged by the lifecycle or its time passed)."""
    if status != "awarded":
        raise ContractRefused(
            f"the next alternate is awarded only while the procurement is awarded (已定标); it is {status}",
            reason="status",
            procurement_status=status,
        )
    if not past_due:
        when = f" until {local(due_at):%Y-%m-%d %H:%M} (北京时间)" if due_at is not None else ""
        raise ContractRefused(
            f"both parties still have time to confirm the contract{when}; the next alternate is "
            "awarded only after a party missed the limit",
            reason="in_time",
            due_at=due_at,
        )


#: What the awarded firm does (or waits for) next, by where its award stands; the pages
#: say it in Chinese from the code.
FirmStep = Literal[
    "ended",  # the award was voided or replaced
    "publicity",  # the result is being published (结果公示)
    "await_draft",  # the owner drafts the contract
    "await_owner",  # the owner confirms its draft first
    "confirm",  # the firm confirms the contract
    "deliver",  # contracted: the firm delivers its result or reports completion
    "await_acceptance",  # the owner accepts or returns the delivery
    "await_evaluation",  # the owner evaluates
    "see_evaluation",  # evaluated: the firm reads its evaluation
    "closed",  # the procurement failed or was cancelled
]
_BY_STATUS: Mapping[str, FirmStep] = {
    "selected": "publicity",
    "contracted": "deliver",
    "delivered": "await_acceptance",
    "accepted": "await_evaluation",
    "evaluated": "see_evaluation",
}


def firm_next_step(status: str, ended: bool, state: SigningState | None) -> FirmStep:
    """What the firm of an award owes or awaits next."""
    if ended:
        return "ended"
    if status == "awarded":
        if state is None:
            return "await_draft"
        if state.owner_confirmed_at is None:
            return "await_owner"
        return "confirm" if state.firm_confirmed_at is None else "deliver"
    return _BY_STATUS.get(status, "closed")
