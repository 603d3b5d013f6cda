"""The OCDS feed (issue 14): releases derived from the audit log, in its order.

Every audit entry of an event a platform publishes becomes one release, dated by the entry
and identified by it (``<ocid>-<entry id>``), so the feed is stable and paged by entry id
(``since``). The facts come from the rows as they were at that event: the terms of the
version then in force, the opening list (bidders only from the opening on), the award the
entry names, the contract confirmed by then.

=========================  ===================  =======================================
audit action               tags                 what the release carries
=========================  ===================  =======================================
procurement:published      tender               the tender (active)
procurement:amended        tenderAmendment      the tender with its amendments
procurement:opened         tenderUpdate         the bidders (tenderers)
procurement:cancelled      tenderCancellation   the tender, cancelled
procurement:failed         tenderUpdate         the tender, unsuccessful
award:opened               award                the award, pending (its publicity)
procurement:awarded        awardUpdate          the award, active
award:voided / replaced    awardCancellation    the award, cancelled
procurement:contracted     contract             the contract, active, with its PDF
procurement:evaluated      contractTermination  the contract, completed
=========================  ===================  =======================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit_checkpoints
from market.db import UnitOfWork
from market.errors import NotFound
from market.models import (
    AuditEntry,
    Award,
    BidOpening,
    ContractSigning,
    Firm,
    Organisation,
    Procurement,
    ProcurementVersion,
)
from market.opendata import ocds
from market.procurement.terms import ProcurementTerms

TAGS: dict[str, tuple[str, ...]] = {
    "procurement:published": ("tender",),
    "procurement:amended": ("tenderAmendment",),
    "procurement:opened": ("tenderUpdate",),
    "procurement:cancelled": ("tenderCancellation",),
    "procurement:failed": ("tenderUpdate",),
    "award:opened": ("award",),
    "procurement:awarded": ("awardUpdate",),
    "award:voided": ("awardCancellation",),
    "award:replaced": ("awardCancellation",),
    "procurement:contracted": ("contract",),
    "procurement:evaluated": ("contractTermination",),
}
_STATUS_AT = {
    "procurement:published": "published",
    "procurement:amended": "published",
    "procurement:opened": "opened",
    "procurement:cancelled": "cancelled",
    "procurement:failed": "failed",
}
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page:
    releases: list[dict[str, Any]]
    next_since: int | None  # the cursor of the next page, None at the end


def ocid_of(prefix: str, reference: str) -> str:
    return f"{prefix}-{reference}"


class _Facts:
    """Loads what the releases of one procurement need, once."""

    def __init__(self, uow: UnitOfWork, row: Procurement, terms: ProcurementTerms, public_url: str) -> None:
        self.uow, self.row, self.terms, self.public_url = uow, row, terms, public_url.rstrip("/")
        self._buyer: ocds.Party | None = None
        self._firms: dict[int, ocds.Party] = {}

    async def buyer(self) -> ocds.Party:
        if self._buyer is None:
            org = await self.uow.session.get(Organisation, self.row.owner_organisation_id)
            assert org is not None
            self._buyer = ocds.Party.of(org.name, org.uscc, f"SG-ORG-{org.id}", org.address)
        return self._buyer

    async def firm(self, firm_id: int) -> ocds.Party:
        if firm_id not in self._firms:
            found = (
                await self.uow.session.execute(
                    select(Organisation.name, Firm.uscc, Organisation.address)
                    .join(Firm, Firm.id == Organisation.id)
                    .where(Firm.id == firm_id)
                )
            ).first()
            name, uscc, address = found if found else (f"企业 {firm_id}", None, "")
            self._firms[firm_id] = ocds.Party.of(name, uscc, f"SG-FIRM-{firm_id}", address)
        return self._firms[firm_id]

    async def tender(self, entry: AuditEntry, status: str) -> ocds.TenderFacts:
        versions = list(
            await self.uow.session.scalars(
                select(ProcurementVersion)
                .where(
                    ProcurementVersion.procurement_id == self.row.id,
                    ProcurementVersion.created_at <= entry.occurred_at,
                )
                .order_by(ProcurementVersion.sequence)
            )
        )
        terms = versions[-1].terms if versions else self.row.terms
        kind_terms = self.terms.of(self.row.kind)
        method = str(terms.get("method", ""))
        option = kind_terms.method(method, terms.get("variant"))
        tenderers = None
        if status not in ("published", "cancelled") or entry.action == "procurement:opened":
            opening = await self.uow.session.get(BidOpening, self.row.id)
            if opening is not None and opening.opened_at <= entry.occurred_at:
                tenderers = [await self.firm(int(e["firm_id"])) for e in opening.entries if e.get("firm_id")]
        return ocds.TenderFacts(
            reference=self.row.reference or "",
            title=str(terms.get("title", self.row.title)),
            description=str(terms.get("description", "")),
            kind=str(self.row.kind),
            method=method,
            method_name=option.name if option else method,
            status=status,
            ceiling=self.row.ceiling,
            published_at=self.row.published_at or entry.occurred_at,
            bid_deadline=self.row.bid_deadline,
            selection_time=self.row.selection_time,
            buyer=await self.buyer(),
            amendments=[(v.sequence, v.created_at, v.reason) for v in versions if v.sequence > 1],
            tenderers=tenderers,
        )

    async def award(self, award_id: int, status: str, at: datetime) -> ocds.AwardFacts:
        award = await self.uow.session.get(Award, award_id)
        if award is None:
            raise NotFound(f"award {award_id} is gone")
        title = f"{self.row.reference} 成交结果（第{award.round}轮）"
        return ocds.AwardFacts(award.id, status, at, award.amount, await self.firm(award.firm_id), title)

    async def contract(self, at: datetime, status: str) -> ocds.ContractFacts | None:
        signing = await self.uow.session.scalar(
            select(ContractSigning)
            .where(
                ContractSigning.procurement_id == self.row.id,
                ContractSigning.firm_confirmed_at.is_not(None),
                ContractSigning.firm_confirmed_at <= at,
            )
            .order_by(ContractSigning.id.desc())
            .limit(1)
        )
        if signing is None:
            return None
        award = await self.uow.session.get(Award, signing.award_id)
        assert award is not None
        # the verification page is public (the PDF itself goes to the parties)
        url = f"{self.public_url}/verify/{signing.document_id}" if signing.document_id else None
        return ocds.ContractFacts(
            signing.id,
            signing.award_id,
            status,
            award.amount,
            signing.firm_confirmed_at,
            url,
            f"{self.row.title} 合同",
        )


async def _release_facts(facts: _Facts, entry: AuditEntry, ocid: str) -> ocds.ReleaseFacts | None:
    action, at = entry.action, entry.occurred_at
    base: dict[str, Any] = {
        "ocid": ocid,
        "release_id": f"{ocid}-{entry.id}",
        "date": at,
        "tags": TAGS[action],
        "buyer": await facts.buyer(),
    }
    if action in _STATUS_AT:
        return ocds.ReleaseFacts(**base, tender=await facts.tender(entry, _STATUS_AT[action]))
    award_id = entry.payload.get("award_id")
    if action == "award:opened" and award_id:
        return ocds.ReleaseFacts(
            **base,
            tender=await facts.tender(entry, "selected"),
            awards=[await facts.award(int(award_id), "pending", at)],
        )
    if action == "procurement:awarded" and award_id:
        return ocds.ReleaseFacts(**base, awards=[await facts.award(int(award_id), "active", at)])
    if action in ("award:voided", "award:replaced") and award_id:
        return ocds.ReleaseFacts(**base, awards=[await facts.award(int(award_id), "cancelled", at)])
    if action in ("procurement:contracted", "procurement:evaluated"):
        contract = await facts.contract(at, "active" if action == "procurement:contracted" else "terminated")
        return None if contract is None else ocds.ReleaseFacts(**base, contracts=[contract])
    return None


async def _releases_of(
    uow: UnitOfWork, entries: list[AuditEntry], prefix: str, terms: ProcurementTerms, public_url: str
) -> list[dict[str, Any]]:
    by_procurement: dict[int, _Facts] = {}
    known: dict[int, dict[str, set[str]]] = {}
    made = []
    for entry in entries:
        pid = int(entry.object_id)
        if pid not in by_procurement:
            row = await uow.session.get(Procurement, pid)
            if row is None or row.reference is None:
                continue
            by_procurement[pid] = _Facts(uow, row, terms, public_url)
        facts = by_procurement[pid]
        assert facts.row.reference is not None
        found = await _release_facts(facts, entry, ocid_of(prefix, facts.row.reference))
        if found is not None:
            made.append(ocds.release(found, known.setdefault(pid, {})))
    return made


def _entries() -> Any:
    return select(AuditEntry).where(
        AuditEntry.action.in_(list(TAGS)), AuditEntry.object_type == "procurement"
    )


async def newest_checkpoint(uow: UnitOfWork) -> ocds.CheckpointFacts | None:
    """The newest published checkpoint of the audit chain, which every package carries."""
    row = await audit_checkpoints.latest(uow)
    return None if row is None else ocds.CheckpointFacts(row.seq, row.hash, row.published_at)


async def page(
    uow: UnitOfWork, *, since: int, limit: int, prefix: str, terms: ProcurementTerms, public_url: str
) -> Page:
    """Releases after entry ``since``, oldest first (roles carried within the page)."""
    entries = list(
        await uow.session.scalars(
            _entries().where(AuditEntry.id > since).order_by(AuditEntry.id).limit(limit)
        )
    )
    releases = await _releases_of(uow, entries, prefix, terms, public_url)
    next_since = entries[-1].id if len(entries) == limit else None
    return Page(releases, next_since)


async def record(
    uow: UnitOfWork, ocid: str, *, prefix: str, terms: ProcurementTerms, public_url: str
) -> list[dict[str, Any]]:
    """Every release of one contracting process, oldest first."""
    reference = ocid.removeprefix(f"{prefix}-") if ocid.startswith(f"{prefix}-") else None
    row = None
    if reference and len(reference) <= 24:
        row = await uow.session.scalar(select(Procurement).where(Procurement.reference == reference))
    if row is None:
        raise NotFound(f"no contracting process has the ocid {ocid[:120]!r}", ocid=ocid[:120])
    entries = list(
        await uow.session.scalars(
            _entries().where(AuditEntry.object_id == str(row.id)).order_by(AuditEntry.id)
        )
    )
    return await _releases_of(uow, entries, prefix, terms, public_url)
