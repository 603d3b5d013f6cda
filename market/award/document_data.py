"""The data of the documents bound to an award — the result notice (成交结果公示) and the
selection notice (中选通知书) — built from what is stored, and nothing typed by a person
at issue time. Pure: no session, no clock; :mod:`market.award.documents` loads the rows
into :class:`AwardFacts`.

Every date on a notice comes from the stored times (the selection, the publicity's end,
the award, the contract limit), so building the notice of the same award twice gives the
same data, and the same document number: ``<reference>-GS-<n>`` for the result notice
and ``<reference>-TZ-<n>`` for the selection notice, ``n`` counting the procurement's
awards (1 for the first winner, 2 for whoever took its place, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import contracts
from market.clock import local_day
from market.errors import InvalidInput

#: How each engine method (or method/variant) appears among the notices' three kinds; the
#: notice's remarks name the method exactly as the procurement's reference data does.
NOTICE_METHODS: Mapping[str, contracts.SelectionMethod] = {
    "random": contracts.SelectionMethod.RANDOM_DRAW,
    "combined/top_n": contracts.SelectionMethod.RANDOM_DRAW,
    "combined/credit_weighted": contracts.SelectionMethod.RANDOM_DRAW,
    "combined/shortlist_price": contracts.SelectionMethod.PRICE_COMPETITION,
    "lowest_price": contracts.SelectionMethod.PRICE_COMPETITION,
    "scored": contracts.SelectionMethod.PRICE_COMPETITION,
    "direct": contracts.SelectionMethod.DIRECT_SELECTION,
}

RESULT_SERIES = "GS"  # 公示
SELECTION_SERIES = "TZ"  # 通知
NOT_REGISTERED = "未登记"  # a party's detail its registry entry lacks, printed as such


class OwnerDataMissing(InvalidInput):
    """The owner organisation lacks what a notice must name (its USCC): an administrator
    completes the organisation, and the next pass issues the notice."""


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """A legal person as its record stores it (an organisation, or a firm's registry entry)."""

    name: str
    uscc: str | None
    address: str
    representative: str
    contact: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class AwardFacts:
    """Everything the notices of one award print, as loaded by the service.

    ``ordinal`` is the award's place among the procurement's awards (1-based);
    ``method_code`` the stored terms' method (``combined/credit_weighted``) and
    ``method_name`` its name in the reference data; ``category`` and ``location`` the
    service type (or works field) and division as the vocabulary names them;
    ``contact_name``/``contact_phone`` the procurement's contact person;
    ``participants`` the names of the round's candidates (the counted bidders, or the
    pool drawn from), in the record's order; ``record_digest`` the SHA-256 of the round's
    selection record; ``checkpoint`` the audit chain's checkpoint published at the
    selection (printed on the result notice), None when none was published yet."""

    reference: str
    title: str
    kind: str
    category: str
    location: str
    contact_name: str
    contact_phone: str
    owner: PartyFacts
    winner: PartyFacts
    amount: Decimal
    award_id: int
    ordinal: int
    round: int
    selected_at: datetime
    publicity_ends_at: datetime
    awarded_at: datetime | None
    contract_due_at: datetime | None
    method_code: str
    method_name: str
    record_digest: str
    participants: tuple[str, ...]
    objection_contact: str
    checkpoint: contracts.ChainCheckpoint | None = None


def document_number(reference: str, series: str, ordinal: int) -> str:
    return f"{reference}-{series}-{ordinal}"


def record_reference(reference: str, round_number: int, digest: str) -> str:
    """How a notice cites the selection record: the round and the record's SHA-256, which
    ``python -S -m selection.verify`` recomputes from the published record."""
    return f"{reference}/{round_number} SHA-256:{digest}"


def participant_names(candidates: list[str], names: Mapping[str, str]) -> tuple[str, ...]:
    """The round's candidates (USCCs, in the record's order) by name; a code the registry
    no longer names stays as the code."""
    return tuple(names.get(uscc, uscc) for uscc in candidates)


def owner_party(facts: AwardFacts) -> contracts.Party:
    """The owner as a notice names it. Its representative falls back to the procurement's
    contact person and its address to the procurement's division when the organisation's
    record leaves them empty; a missing USCC cannot be filled in and is refused."""
    owner = facts.owner
    if not owner.uscc:
        raise OwnerDataMissing(
            f"owner organisation {owner.name} has no USCC (统一社会信用代码): an administrator "
            "adds it to the organisation before the notices of its procurements can be issued",
            field="uscc",
        )
    return contracts.Party(
        name=owner.name,
        uscc=owner.uscc,
        address=owner.address.strip() or facts.location or NOT_REGISTERED,
        representative=owner.representative.strip() or facts.contact_name.strip() or NOT_REGISTERED,
        contact=facts.contact_name.strip(),
        phone=facts.contact_phone.strip() or owner.phone,
    )


def winner_party(facts: AwardFacts) -> contracts.Party:
    winner = facts.winner
    return contracts.Party(
        name=winner.name,
        uscc=winner.uscc or "",
        address=winner.address.strip() or NOT_REGISTERED,
        representative=winner.representative.strip() or NOT_REGISTERED,
        contact=winner.contact,
        phone=winner.phone,
    )


def _procurement(facts: AwardFacts) -> contracts.Procurement:
    return contracts.Procurement(
        reference=facts.reference,
        title=facts.title,
        kind=contracts.ProcurementKind(facts.kind),
        category=facts.category,
        location=facts.location,
    )


def _selection(facts: AwardFacts) -> contracts.SelectionSummary:
    return contracts.SelectionSummary(
        method=NOTICE_METHODS.get(facts.method_code, contracts.SelectionMethod.RANDOM_DRAW),
        selected_at=facts.selected_at,
        candidates=max(len(facts.participants), 1),
        record_reference=record_reference(facts.reference, facts.round, facts.record_digest),
        remarks=facts.method_name,
    )


def result_notice(facts: AwardFacts) -> contracts.ResultNotice:
    """成交结果公示: issued on the day of the selection, published from that day to the
    publicity's end."""
    return contracts.ResultNotice(
        document_number=document_number(facts.reference, RESULT_SERIES, facts.ordinal),
        procurement=_procurement(facts),
        owner=owner_party(facts),
        winner=winner_party(facts),
        amount=facts.amount,
        selection=_selection(facts),
        issued_on=local_day(facts.selected_at),
        publicity_start=local_day(facts.selected_at),
        publicity_end=local_day(facts.publicity_ends_at),
        objection_contact=facts.objection_contact,
        participants=facts.participants,
        checkpoint=facts.checkpoint,
    )


def selection_notice(facts: AwardFacts) -> contracts.SelectionNotice:
    """中选通知书 of an awarded award: issued on the day of the award, the contract to be
    confirmed by the day of its limit."""
    if facts.awarded_at is None or facts.contract_due_at is None:
        raise InvalidInput(
            f"award {facts.award_id} is not awarded yet: its selection notice waits for the award"
        )
    return contracts.SelectionNotice(
        document_number=document_number(facts.reference, SELECTION_SERIES, facts.ordinal),
        procurement=_procurement(facts),
        owner=owner_party(facts),
        winner=winner_party(facts),
        amount=facts.amount,
        selection=_selection(facts),
        issued_on=local_day(facts.awarded_at),
        contract_deadline=local_day(facts.contract_due_at),
    )
