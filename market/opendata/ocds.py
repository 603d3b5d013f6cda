"""Open Contracting Data Standard 1.1.5: releases, release packages, records and the compiled
release, built from plain facts (pure; :mod:`market.opendata.feed` gathers the facts).

A release is published when a platform should publish it (issue 14): the tender at
publication, each amendment as a new release, the bidders only after the opening, the award
when the result is published (``pending`` during its publicity, ``active`` once awarded,
``cancelled`` when an objection voided it or the next alternate replaced it), the contract
when both parties have confirmed it, and its completion at the evaluation. Each release
carries only the sections its event concerns; the compiled release merges them in order
(OCDS merging: objects merged member by member, arrays of objects with an ``id`` merged by
``id``, other values replaced). Chinese text with ``language: zh``; amounts in CNY.

Every package also carries the platform's newest published checkpoint of its audit chain
(``auditCheckpoint``: seal number, hash, publication time — an additional package field,
which the standard allows), so that whoever keeps the feed keeps checkpoints too and can
later hold the platform to them (``market audit verify --checkpoint SEQ:HASH``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

OCDS_VERSION = "1.1"
CURRENCY = "CNY"
USCC_SCHEME = "CN-USCC"  # org-id.guide: the unified social credit code

TENDER_STATUS = {
    "published": "active",
    "bidding_closed": "active",
    "opened": "active",
    "frozen": "active",
    "confirming": "active",
    "redrawing": "active",
    "selected": "complete",
    "awarded": "complete",
    "contracted": "complete",
    "delivered": "complete",
    "accepted": "complete",
    "evaluated": "complete",
    "failed": "unsuccessful",
    "cancelled": "cancelled",
}


@dataclass(frozen=True, slots=True)
class Party:
    key: str  # the party's id inside the release: CN-USCC-<uscc>, or a platform id without one
    name: str
    uscc: str | None = None
    address: str = ""

    @classmethod
    def of(cls, name: str, uscc: str | None, fallback: str, address: str = "") -> Party:
        return cls(f"{USCC_SCHEME}-{uscc}" if uscc else fallback, name, uscc, address)

    def reference(self) -> dict[str, Any]:
        return {"id": self.key, "name": self.name}

    def organization(self, roles: Iterable[str]) -> dict[str, Any]:
        made: dict[str, Any] = {"id": self.key, "name": self.name, "roles": sorted(set(roles))}
        if self.uscc:
            made["identifier"] = {"scheme": USCC_SCHEME, "id": self.uscc, "legalName": self.name}
        if self.address:
            made["address"] = {"streetAddress": self.address, "countryName": "中国"}
        return made


@dataclass(frozen=True, slots=True)
class TenderFacts:
    reference: str
    title: str
    description: str
    kind: str  # intermediary_service | small_works
    method: str
    method_name: str
    status: str  # the procurement's status as of the release
    ceiling: Decimal
    published_at: datetime
    bid_deadline: datetime | None
    selection_time: datetime
    buyer: Party
    amendments: Sequence[tuple[int, datetime, str]] = ()  # (sequence, when, rationale)
    tenderers: Sequence[Party] | None = None  # only after the opening


@dataclass(frozen=True, slots=True)
class AwardFacts:
    id: int
    status: str  # pending | active | cancelled
    date: datetime
    amount: Decimal
    supplier: Party
    title: str = ""


@dataclass(frozen=True, slots=True)
class ContractFacts:
    id: int
    award_id: int
    status: str  # active | terminated
    amount: Decimal
    date_signed: datetime | None
    document_url: str | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    ocid: str
    release_id: str
    date: datetime
    tags: tuple[str, ...]
    buyer: Party
    tender: TenderFacts | None = None
    awards: Sequence[AwardFacts] = field(default_factory=tuple)
    contracts: Sequence[ContractFacts] = field(default_factory=tuple)


def _value(amount: Decimal) -> dict[str, Any]:
    return {"amount": float(amount), "currency": CURRENCY}


def _time(moment: datetime) -> str:
    return moment.isoformat()


def _method(kind: str, method: str) -> str:
    if method == "direct":
        return "direct"
    return "selective" if kind == "small_works" else "open"


def _tender(t: TenderFacts) -> dict[str, Any]:
    tender: dict[str, Any] = {
        "id": t.reference,
        "title": t.title,
        "description": t.description,
        "status": TENDER_STATUS.get(t.status, "active"),
        "procuringEntity": t.buyer.reference(),
        "value": _value(t.ceiling),
        "procurementMethod": _method(t.kind, t.method),
        "procurementMethodDetails": t.method_name,
        "mainProcurementCategory": "works" if t.kind == "small_works" else "services",
        "submissionMethod": ["electronicSubmission"] if t.bid_deadline else [],
        "awardPeriod": {"startDate": _time(t.selection_time)},
    }
    if t.bid_deadline is not None:
        tender["tenderPeriod"] = {"startDate": _time(t.published_at), "endDate": _time(t.bid_deadline)}
    if t.amendments:
        tender["amendments"] = [
            {"id": str(seq), "date": _time(when), "rationale": rationale}
            for seq, when, rationale in t.amendments
        ]
    if t.tenderers is not None:
        tender["numberOfTenderers"] = len(t.tenderers)
        tender["tenderers"] = [p.reference() for p in t.tenderers]
    return tender


def releases(facts: Iterable[ReleaseFacts]) -> list[dict[str, Any]]:
    """The releases of one contracting process, oldest first. A party named again carries
    every role it has had so far (merging replaces a party's roles: a later release naming
    the winner only as supplier would otherwise drop it as a tenderer)."""
    known: dict[str, set[str]] = {}
    return [release(item, known) for item in facts]


def release(facts: ReleaseFacts, known: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """One OCDS release: what the event ``facts.tags`` names, and the parties it mentions.
    ``known`` (updated) holds the roles each party had in the process's earlier releases."""
    known = {} if known is None else known
    roles: dict[str, tuple[Party, set[str]]] = {}

    def role(party: Party, name: str) -> None:
        held = known.setdefault(party.key, set())
        held.add(name)
        roles.setdefault(party.key, (party, held))

    role(facts.buyer, "buyer")
    role(facts.buyer, "procuringEntity")

    made: dict[str, Any] = {
        "ocid": facts.ocid,
        "id": facts.release_id,
        "date": _time(facts.date),
        "tag": list(facts.tags),
        "initiationType": "tender",
        "language": "zh",
        "buyer": facts.buyer.reference(),
    }
    if facts.tender is not None:
        made["tender"] = _tender(facts.tender)
        for party in facts.tender.tenderers or ():
            role(party, "tenderer")
    if facts.awards:
        made["awards"] = [_award(a) for a in facts.awards]
        for a in facts.awards:
            role(a.supplier, "supplier")
    if facts.contracts:
        made["contracts"] = [_contract(c) for c in facts.contracts]
    made["parties"] = [party.organization(names) for party, names in roles.values()]
    return made


def _award(a: AwardFacts) -> dict[str, Any]:
    award: dict[str, Any] = {
        "id": str(a.id),
        "status": a.status,
        "date": _time(a.date),
        "value": _value(a.amount),
        "suppliers": [a.supplier.reference()],
    }
    if a.title:  # a release says only what it knows: an empty title would blank the compiled one
        award["title"] = a.title
    return award


def _contract(c: ContractFacts) -> dict[str, Any]:
    contract: dict[str, Any] = {
        "id": str(c.id),
        "awardID": str(c.award_id),
        "status": c.status,
        "value": _value(c.amount),
    }
    if c.title:
        contract["title"] = c.title
    if c.date_signed is not None:
        contract["dateSigned"] = _time(c.date_signed)
    if c.document_url:
        contract["documents"] = [
            {"id": f"contract-{c.id}", "documentType": "contractSigned", "url": c.document_url,
             "format": "application/pdf", "language": "zh"}
        ]  # fmt: skip
    return contract


@dataclass(frozen=True, slots=True)
class CheckpointFacts:
    """A published checkpoint of the audit chain: the seal's number and hash, and when."""

    seq: int
    hash: str
    published_at: datetime


def _package(
    uri: str, published: datetime, publisher: str, checkpoint: CheckpointFacts | None, **content: Any
) -> dict[str, Any]:
    """A package's head (uri, version, publication, publisher), its ``content`` and, when one
    was published, the audit chain's newest checkpoint (``auditCheckpoint``)."""
    body = {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _time(published),
        "publisher": {"name": publisher},
        **content,
    }
    if checkpoint is not None:
        body["auditCheckpoint"] = {
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "publishedDate": _time(checkpoint.published_at),
            "checkpoint": f"{checkpoint.seq}:{checkpoint.hash}",
        }
    return body


def package(
    releases: Sequence[dict[str, Any]],
    *,
    uri: str,
    published: datetime,
    publisher: str,
    checkpoint: CheckpointFacts | None = None,
) -> dict[str, Any]:
    return _package(uri, published, publisher, checkpoint, releases=list(releases))


def merge(releases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The compiled release: ``releases`` (oldest first) merged by the OCDS rules."""
    compiled: dict[str, Any] = {}
    for item in releases:
        _merge_into(compiled, {k: v for k, v in item.items() if k not in ("id", "tag", "date")})
    if releases:
        last = releases[-1]
        compiled.update({"id": f"{last['ocid']}-compiled", "tag": ["compiled"], "date": last["date"]})
    return compiled


def _merge_into(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        elif _identified(value) and _identified(target.get(key)):
            by_id = {item["id"]: item for item in target[key]}
            for item in value:
                if item["id"] in by_id:
                    _merge_into(by_id[item["id"]], item)
                else:
                    target[key].append(copy.deepcopy(item))
                    by_id[item["id"]] = target[key][-1]
        else:
            target[key] = copy.deepcopy(value)


def _identified(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) and "id" in v for v in value)
    )


def record_package(
    ocid: str,
    releases: Sequence[dict[str, Any]],
    *,
    uri: str,
    published: datetime,
    publisher: str,
    checkpoint: CheckpointFacts | None = None,
) -> dict[str, Any]:
    record = {"ocid": ocid, "releases": list(releases), "compiledRelease": merge(releases)}
    return _package(uri, published, publisher, checkpoint, records=[record])
