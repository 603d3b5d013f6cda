"""Many firms at once: the registry import (and the benchmarks) write through
:func:`upsert_firms`.

It is set-based on purpose: one SELECT finds the USCCs already registered, then each chunk
of records costs one statement per table (see :mod:`market.registry.bulk_sql`), whatever
the chunk's size. The ORM, one row at a time, would cost a round trip per row and per
table — a minute, not a second or two, for ten thousand firms.

Nothing is half-written: conflicts are found before anything is written, and the caller's
unit of work commits everything or nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput
from market.models import ORGANISATION_KIND, FirmStatus, LicenceStatus
from market.registry import bulk_sql as sql
from market.registry.bulk_sql import Registered
from market.registry.new_firm import Row, licence_values, new_firm, track_record_values
from market.registry.records import FIRM_COLUMNS, FirmInput, LicenceInput, Problem
from market.registry.vocabulary import Vocabulary

CHUNK = 1000  # records per round of statements: enough to amortise a round trip, small enough for progress
IMPORTED = "imported"  # the reason on status changes and licence reviews made by an import
AuditEntry = tuple[str, str, object, Mapping[str, Any] | None]


@dataclass(slots=True)
class UpsertResult:
    """What :func:`upsert_firms` did. ``firm_ids`` maps every record's USCC to its firm
    id; ``batch`` is in the payload of each audit entry of the run."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # licences in a file that the firm withdrew or that were superseded or rejected: kept so
    licences_skipped: int = 0
    firm_ids: dict[str, int] = field(default_factory=dict)
    batch: str = ""


class RegistryConflicts(InvalidInput):
    """Some USCCs belong to organisations that cannot be firms of the record's registry
    (an owner, the trading centre, a firm of the other registry). ``by_uscc`` gives each
    one's problem; nothing has been written when this is raised."""

    def __init__(self, by_uscc: Mapping[str, Problem]) -> None:
        first_uscc, first = next(iter(by_uscc.items()))
        more = f" (and {len(by_uscc) - 1} more)" if len(by_uscc) > 1 else ""
        super().__init__(
            f"{first_uscc}: {first.message}{more}",
            field="uscc",
            conflicts={uscc: problem.message for uscc, problem in by_uscc.items()},
        )
        self.by_uscc = dict(by_uscc)


def _conflict(record: FirmInput, found: Registered) -> Problem | None:
    if found.kind is not ORGANISATION_KIND[record.kind]:
        return Problem(
            "uscc",
            f"{record.uscc} belongs to {found.org['name']!r}, which is registered on the platform "
            f"as {found.kind.value}, not as a firm of the {record.kind.value} registry",
        )
    if found.firm_kind is not None and found.firm_kind is not record.kind:
        return Problem(
            "uscc",
            f"{record.uscc} is already a firm of the {found.firm_kind.value} registry, "
            f"not of the {record.kind.value} registry",
        )
    return None


def _conflicts(records: Sequence[FirmInput], found: Mapping[str, Registered]) -> dict[str, Problem]:
    return {
        r.uscc: problem
        for r in records
        if r.uscc in found and (problem := _conflict(r, found[r.uscc])) is not None
    }


async def registry_conflicts(uow: UnitOfWork, records: Sequence[FirmInput]) -> dict[str, Problem]:
    """The records whose USCC belongs to an organisation that cannot be a firm of the
    record's registry, with why. Reads only: an importer reports these rows beside the
    rows that failed their checks, before deciding whether to import."""
    return _conflicts(records, await sql.registered(uow.session, [r.uscc for r in records], lock=False))


async def upsert_firms(
    uow: UnitOfWork,
    actor: Actor,
    records: Sequence[FirmInput],
    *,
    now: datetime,
    vocabulary: Vocabulary,
    status: FirmStatus = FirmStatus.ADMITTED,
    progress: Callable[[int], None] | None = None,
    source: Mapping[str, Any] | None = None,
) -> UpsertResult:
    """Create or update firms, matched on USCC, in the caller's transaction (it commits).

    A new USCC gets its organisation, a firm in ``status`` (``admitted`` or ``applied``;
    admitted at ``now`` if admitted) with the policy's base credit score, its first status
    change and credit event, its licences (approved; pending for an applicant, to be
    reviewed with its application) and its track records. An
    organisation of the right kind without a firm row becomes the firm.

    A known firm gets name, address and profile replaced by the record's (an empty
    introduction keeps the stored one), its approved or pending licences matched on (type, number)
    updated, new ones added as approved (pending while the firm is an applicant) —
    licences absent from the record are kept, and one the firm withdrew or that was
    superseded or rejected is not brought back (counted in ``licences_skipped``) — and
    the track records it lacks (by project and completion date) added. Its status is left
    alone.

    Audit: ``firm:imported`` per created firm, ``firm:reimported`` with what changed per
    changed firm (unchanged firms get none), one ``registry:imported`` for the run with
    ``source`` (file name, rejected lines …) in its payload. ``progress`` gets the number
    of records done after each chunk of :data:`CHUNK`.

    Raises, before writing anything, :class:`RegistryConflicts` when a USCC belongs to an
    organisation that cannot be a firm of that registry and :class:`InvalidInput` when a
    USCC appears twice; :class:`Conflict` when another transaction registered one of the
    new USCCs meanwhile (the caller's transaction must then be rolled back).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if status not in (FirmStatus.ADMITTED, FirmStatus.APPLIED):
        raise InvalidInput("imported firms are either admitted or applied", field="status")
    if not records:
        return UpsertResult()
    twice = sorted(uscc for uscc, count in Counter(r.uscc for r in records).items() if count > 1)
    if twice:
        raise InvalidInput(
            f"each firm may appear once; these USCCs appear more than once: {', '.join(twice)}",
            field="uscc",
            duplicates=twice,
        )
    found = await sql.registered(uow.session, [r.uscc for r in records], lock=True)
    conflicts = _conflicts(records, found)
    if conflicts:
        raise RegistryConflicts(conflicts)
    run = _Run(uow, actor, now=now, vocabulary=vocabulary, status=status)
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        await run.write(chunk, found)
        if progress is not None:
            progress(start + len(chunk))
    result = run.result
    await audit.record(
        uow,
        actor,
        "registry:imported",
        "registry",
        ",".join(sorted({r.kind.value for r in records})) or "-",
        {
            "batch": result.batch,
            "records": len(records),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "status": status,
            **dict(source or {}),
        },
    )
    return result


class _Run:
    """One upsert: writes chunk after chunk and keeps the running result."""

    def __init__(
        self, uow: UnitOfWork, actor: Actor, *, now: datetime, vocabulary: Vocabulary, status: FirmStatus
    ) -> None:
        self.session = uow.session
        self.uow = uow
        self.actor = actor
        self.now = now
        self.status = status
        self.credit = vocabulary.credit
        self.result = UpsertResult(batch=uuid.uuid4().hex)

    async def write(self, chunk: Sequence[FirmInput], found: Mapping[str, Registered]) -> None:
        known = [r for r in chunk if r.uscc in found and found[r.uscc].firm is not None]
        new = [r for r in chunk if not (r.uscc in found and found[r.uscc].firm is not None)]
        entries: list[AuditEntry] = []
        if new:
            entries += await self._create(new, found)
        if known:
            entries += await self._update(known, found)
        await audit.record_many(self.uow, self.actor, entries)

    async def _create(
        self, records: Sequence[FirmInput], found: Mapping[str, Registered]
    ) -> list[AuditEntry]:
        # An organisation may exist without a firm row (its account was made first): it
        # becomes the firm, with the record's name and address.
        adopted = [(found[r.uscc].id, r) for r in records if r.uscc in found]
        ids = {r.uscc: org_id for org_id, r in adopted}
        if adopted:
            await sql.update_organisations(self.session, adopted)
        facts = {
            r.uscc: new_firm(
                r, status=self.status, reason=IMPORTED, actor=self.actor, now=self.now, credit=self.credit
            )
            for r in records
        }
        fresh = [r for r in records if r.uscc not in found]
        if fresh:
            inserted = await sql.insert_organisations(
                self.session, [facts[r.uscc].organisation for r in fresh]
            )
            missing = sorted({r.uscc for r in fresh} - inserted.keys())
            if missing:
                raise Conflict(
                    "these USCCs were registered by someone else while the import ran; "
                    f"import again: {', '.join(missing)}",
                    field="uscc",
                    usccs=missing,
                )
            ids.update(inserted)
        rows = [(ids[r.uscc], r) for r in records]
        made = [(firm_id, facts[r.uscc]) for firm_id, r in rows]
        await sql.insert_firms(self.session, made)
        await sql.insert_first_events(self.session, made)
        await sql.insert_licences(self.session, [(firm_id, lic) for firm_id, f in made for lic in f.licences])
        await sql.insert_track_records(
            self.session, [(firm_id, t) for firm_id, f in made for t in f.track_records]
        )
        self.result.created += len(rows)
        self.result.firm_ids.update({r.uscc: firm_id for firm_id, r in rows})
        return [
            (
                "firm:imported",
                "firm",
                firm_id,
                {
                    "batch": self.result.batch,
                    "kind": r.kind,
                    "uscc": r.uscc,
                    "status": self.status,
                    "profile": r.profile(),
                    "licences": [f"{lic.licence_type}:{lic.number}" for lic in r.licences],
                    "track_records": len(r.track_records),
                },
            )
            for firm_id, r in rows
        ]

    async def _update(
        self, records: Sequence[FirmInput], found: Mapping[str, Registered]
    ) -> list[AuditEntry]:
        ids = [found[r.uscc].id for r in records]
        licences = await sql.current_licences(self.session, ids)
        tracks = await sql.track_record_keys(self.session, ids)
        org_rows: list[tuple[int, FirmInput]] = []
        firm_rows: list[tuple[int, dict[str, Any]]] = []
        # (pending?) -> rows: an applicant's licences wait for the review of its application
        licence_updates: dict[bool, list[tuple[int, LicenceInput]]] = {False: [], True: []}
        licence_inserts: dict[bool, list[tuple[int, Row]]] = {False: [], True: []}
        track_inserts: list[tuple[int, Row]] = []
        entries: list[AuditEntry] = []
        for firm_id, record in zip(ids, records, strict=True):
            stored = found[record.uscc]
            assert stored.firm is not None
            self.result.firm_ids[record.uscc] = firm_id
            wanted = record.profile()
            if not record.introduction:
                # an import file rarely carries the introduction a firm wrote; keep it
                wanted["introduction"] = stored.firm["introduction"]
            changed = {
                name: [stored.org[name], wanted[name]]
                for name in sql.ORG_FIELDS
                if stored.org[name] != wanted[name]
            }
            if changed:
                org_rows.append((firm_id, record))
            firm_changes = {
                name: [stored.firm[name], wanted[name]]
                for name in FIRM_COLUMNS
                if stored.firm[name] != wanted[name]
            }
            if firm_changes:
                firm_rows.append((firm_id, wanted))
                changed |= firm_changes
            added, updated, skipped = [], [], []
            applicant = stored.firm_status not in (FirmStatus.ADMITTED, FirmStatus.SUSPENDED)
            for lic in record.licences:
                key = f"{lic.licence_type}:{lic.number}"
                current = licences.get((firm_id, lic.licence_type, lic.number))
                if current is None:
                    values = licence_values(
                        lic, pending=applicant, actor=self.actor, reason=IMPORTED, now=self.now
                    )
                    licence_inserts[applicant].append((firm_id, values))
                    added.append(key)
                elif current["status"] not in (LicenceStatus.APPROVED, LicenceStatus.PENDING):
                    # withdrawn by the firm, superseded or rejected on review: an import
                    # does not bring it back; the firm submits it again if it is still good
                    skipped.append(key)
                elif any(current[name] != getattr(lic, name) for name in sql.LICENCE_FIELDS):
                    licence_updates[current["status"] == LicenceStatus.PENDING].append((current["id"], lic))
                    updated.append(key)
            new_tracks = [
                t for t in record.track_records if (firm_id, t.project, t.completed_on) not in tracks
            ]
            tracks.update((firm_id, t.project, t.completed_on) for t in new_tracks)
            track_inserts += [(firm_id, track_record_values(t)) for t in new_tracks]
            self.result.licences_skipped += len(skipped)
            if not (changed or added or updated or new_tracks):
                self.result.unchanged += 1
                continue
            self.result.updated += 1
            entries.append(
                (
                    "firm:reimported",
                    "firm",
                    firm_id,
                    {
                        "batch": self.result.batch,
                        "uscc": record.uscc,
                        "changed": changed,
                        "licences_added": added,
                        "licences_updated": updated,
                        "licences_skipped": skipped,
                        "track_records_added": len(new_tracks),
                    },
                )
            )
        if org_rows:
            await sql.update_organisations(self.session, org_rows)
        if firm_rows:
            await sql.update_firms(self.session, firm_rows)
        for pending in (False, True):
            await sql.update_licences(
                self.session,
                licence_updates[pending],
                actor=self.actor,
                reason=IMPORTED,
                now=self.now,
                pending=pending,
            )
            await sql.insert_licences(self.session, licence_inserts[pending])
        await sql.insert_track_records(self.session, track_inserts)
        return entries


__all__ = ["CHUNK", "RegistryConflicts", "UpsertResult", "registry_conflicts", "upsert_firms"]
