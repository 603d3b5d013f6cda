"""The set-based statements behind :mod:`market.registry.bulk`.

Each statement writes any number of rows in one round trip: the values travel as one
array parameter per column and ``unnest`` spreads them into rows. A statement's cost is
then the same for one row or a thousand, where the ORM would pay a round trip per row
(and per table). Arrays of codes (work fields …) travel as one string per firm joined by
:data:`SEP`, because ``unnest`` cannot spread an array of arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import Actor
from market.models import (
    FirmStatus,
    OrganisationKind,
    Registry,
)
from market.registry.new_firm import NewFirm, Row
from market.registry.records import ARRAY_COLUMNS, FIRM_COLUMNS, FirmInput, LicenceInput

SEP = "\x1f"  # the unit separator: it cannot appear in a vocabulary code
ORG_FIELDS = ("name", "address", "contact_phone")
LICENCE_FIELDS = ("grade", "issuer", "issued_on", "valid_until", "e_licence_ref")


def _joined(values: Iterable[str]) -> str:
    return SEP.join(values)


async def _run(session: AsyncSession, sql: str, params: Mapping[str, Any]) -> Any:
    return await session.execute(text(sql), dict(params))


@dataclass(slots=True)
class Registered:
    """An organisation holding a USCC (and its firm row, if it has one), as stored."""

    id: int
    kind: OrganisationKind
    org: dict[str, Any]
    firm: dict[str, Any] | None = None
    firm_kind: Registry | None = None
    firm_status: FirmStatus | None = None


async def registered(session: AsyncSession, usccs: Sequence[str], *, lock: bool) -> dict[str, Registered]:
    """The organisations holding these USCCs, by USCC. With ``lock``, their rows stay as
    read until the commit, so that what is compared (and audited as changed) is true."""
    lock_clause = " FOR UPDATE" if lock else ""
    orgs = (
        await _run(
            session,
            "SELECT id, uscc, kind, name, address, contact_phone FROM organisation"  # noqa: S608 (fixed text)
            f" WHERE uscc = ANY(CAST(:usccs AS text[])){lock_clause}",
            {"usccs": list(usccs)},
        )
    ).mappings()
    found = {
        row["uscc"]: Registered(
            row["id"], OrganisationKind(row["kind"]), {name: row[name] for name in ORG_FIELDS}
        )
        for row in orgs
    }
    if not found:
        return found
    by_id = {item.id: item for item in found.values()}
    firms = (
        await _run(
            session,
            f"SELECT id, kind, status, {', '.join(FIRM_COLUMNS)} FROM firm"  # noqa: S608 (fixed column list)
            f" WHERE id = ANY(CAST(:ids AS bigint[])){lock_clause}",
            {"ids": list(by_id)},
        )
    ).mappings()
    for row in firms:
        item = by_id[row["id"]]
        item.firm_kind = Registry(row["kind"])
        item.firm_status = FirmStatus(row["status"])
        item.firm = {name: list(row[name]) if name in ARRAY_COLUMNS else row[name] for name in FIRM_COLUMNS}
    return found


async def insert_organisations(session: AsyncSession, organisations: Sequence[Row]) -> dict[str, int]:
    """New organisations (:attr:`NewFirm.organisation`); returns their ids by USCC. A USCC
    registered meanwhile by another transaction is skipped (``ON CONFLICT``) and so absent
    from the result."""
    rows = await _run(
        session,
        "INSERT INTO organisation (kind, name, uscc, address, contact_phone)"
        " SELECT * FROM unnest(CAST(:kinds AS text[]), CAST(:names AS text[]),"
        "  CAST(:usccs AS text[]), CAST(:addresses AS text[]), CAST(:phones AS text[]))"
        " ON CONFLICT (uscc) DO NOTHING RETURNING id, uscc",
        {
            "kinds": [o["kind"].value for o in organisations],
            "names": [o["name"] for o in organisations],
            "usccs": [o["uscc"] for o in organisations],
            "addresses": [o["address"] for o in organisations],
            "phones": [o["contact_phone"] for o in organisations],
        },
    )
    return {row.uscc: row.id for row in rows}


async def update_organisations(session: AsyncSession, rows: Sequence[tuple[int, FirmInput]]) -> None:
    """Name, address and telephone from the records; the version moves so that a form opened before
    sees a conflict instead of overwriting."""
    await _run(
        session,
        "UPDATE organisation o SET name = v.name, address = v.address, contact_phone = v.phone,"
        " version = o.version + 1, updated_at = now()"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:names AS text[]), CAST(:addresses AS text[]),"
        "  CAST(:phones AS text[])) AS v(id, name, address, phone)"
        " WHERE o.id = v.id",
        {
            "ids": [org_id for org_id, _ in rows],
            "names": [r.name for _, r in rows],
            "addresses": [r.address for _, r in rows],
            "phones": [r.contact_phone for _, r in rows],
        },
    )


_FIRM_COLUMNS = (
    "CAST(:legal AS text[]), CAST(:division AS text[]), CAST(:contact_names AS text[]),"
    " CAST(:phones AS text[]), CAST(:emails AS text[]), CAST(:intros AS text[]),"
    " CAST(:work_fields AS text[]), CAST(:service_types AS text[]), CAST(:practitioners AS integer[]),"
    " CAST(:service_area AS text[])"
)
_FIRM_ALIASES = (
    "legal, division, contact_name, phone, email, intro, work_fields, service_types, practitioners,"
    " service_area"
)


def _firm_params(values: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    def column(name: str) -> list[Any]:
        if name in ARRAY_COLUMNS:
            return [_joined(v[name]) for v in values]
        return [v[name] for v in values]

    return {
        "legal": column("legal_representative"),
        "division": column("division_code"),
        "contact_names": column("contact_name"),
        "phones": column("contact_phone"),
        "emails": column("contact_email"),
        "intros": column("introduction"),
        "work_fields": column("work_fields"),
        "service_types": column("service_types"),
        "practitioners": column("practitioners"),
        "service_area": column("service_area"),
    }


async def insert_firms(session: AsyncSession, rows: Sequence[tuple[int, NewFirm]]) -> None:
    """Firm rows (:attr:`NewFirm.firm`) for organisations (id = organisation id)."""
    firms = [facts.firm for _, facts in rows]
    await _run(
        session,
        "INSERT INTO firm (id, kind, legal_representative, division_code, contact_name,"  # noqa: S608 (fixed text)
        " contact_phone, contact_email, introduction, work_fields, service_types, practitioners,"
        " service_area, status, status_reason, status_changed_at, applied_at, admitted_at,"
        " credit_score)"
        " SELECT v.id, v.kind, v.legal, v.division, v.contact_name, v.phone, v.email, v.intro,"
        "  string_to_array(v.work_fields, chr(31)), string_to_array(v.service_types, chr(31)),"
        "  v.practitioners, string_to_array(v.service_area, chr(31)),"
        "  v.status, v.reason, v.changed_at, v.applied_at, v.admitted_at, v.score"
        f" FROM unnest(CAST(:ids AS bigint[]), CAST(:kinds AS text[]), {_FIRM_COLUMNS},"
        "  CAST(:statuses AS text[]), CAST(:reasons AS text[]), CAST(:changed_at AS timestamptz[]),"
        "  CAST(:applied_at AS timestamptz[]), CAST(:admitted_at AS timestamptz[]),"
        "  CAST(:scores AS numeric[]))"
        f"  AS v(id, kind, {_FIRM_ALIASES}, status, reason, changed_at, applied_at, admitted_at, score)",
        {
            "ids": [firm_id for firm_id, _ in rows],
            "kinds": [f["kind"].value for f in firms],
            **_firm_params(firms),
            "statuses": [f["status"].value for f in firms],
            "reasons": [f["status_reason"] for f in firms],
            "changed_at": [f["status_changed_at"] for f in firms],
            "applied_at": [f["applied_at"] for f in firms],
            "admitted_at": [f["admitted_at"] for f in firms],
            "scores": [f["credit_score"] for f in firms],
        },
    )


async def update_firms(session: AsyncSession, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Replace the profile columns (:data:`FIRM_COLUMNS`) of firms; status is untouched."""
    await _run(
        session,
        "UPDATE firm f SET legal_representative = v.legal, division_code = v.division,"  # noqa: S608 (fixed text)
        " contact_name = v.contact_name, contact_phone = v.phone, contact_email = v.email,"
        " introduction = v.intro, work_fields = string_to_array(v.work_fields, chr(31)),"
        " service_types = string_to_array(v.service_types, chr(31)),"
        " practitioners = v.practitioners, service_area = string_to_array(v.service_area, chr(31)),"
        " version = f.version + 1, updated_at = now()"
        f" FROM unnest(CAST(:ids AS bigint[]), {_FIRM_COLUMNS}) AS v(id, {_FIRM_ALIASES})"
        " WHERE f.id = v.id",
        {"ids": [firm_id for firm_id, _ in rows], **_firm_params([values for _, values in rows])},
    )


async def insert_first_events(session: AsyncSession, rows: Sequence[tuple[int, NewFirm]]) -> None:
    """Each new firm's first status change (from nothing) and its base credit event."""
    changes = [facts.status_change for _, facts in rows]
    events = [facts.credit_event for _, facts in rows]
    ids = [firm_id for firm_id, _ in rows]
    await _run(
        session,
        "INSERT INTO firm_status_change (firm_id, from_status, to_status, reason, actor_id,"
        " actor_label, changed_at)"
        " SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:from AS text[]), CAST(:to AS text[]),"
        "  CAST(:reasons AS text[]), CAST(:actor_ids AS bigint[]), CAST(:actor_labels AS text[]),"
        "  CAST(:at AS timestamptz[]))",
        {
            "ids": ids,
            "from": [c["from_status"] and c["from_status"].value for c in changes],
            "to": [c["to_status"].value for c in changes],
            "reasons": [c["reason"] for c in changes],
            "actor_ids": [c["actor_id"] for c in changes],
            "actor_labels": [c["actor_label"] for c in changes],
            "at": [c["changed_at"] for c in changes],
        },
    )
    await _run(
        session,
        "INSERT INTO credit_event (firm_id, cause, delta, score_after, source_type, source_id, note,"
        " actor_label, occurred_at)"
        " SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:causes AS text[]), CAST(:deltas AS numeric[]),"
        "  CAST(:scores AS numeric[]), CAST(:source_types AS text[]), CAST(:source_ids AS text[]),"
        "  CAST(:notes AS text[]), CAST(:actor_labels AS text[]), CAST(:at AS timestamptz[]))",
        {
            "ids": ids,
            "causes": [e["cause"].value for e in events],
            "deltas": [e["delta"] for e in events],
            "scores": [e["score_after"] for e in events],
            "source_types": [e["source_type"] for e in events],
            "source_ids": [e["source_id"] for e in events],
            "notes": [e["note"] for e in events],
            "actor_labels": [e["actor_label"] for e in events],
            "at": [e["occurred_at"] for e in events],
        },
    )


def _licence_params(licences: Sequence[LicenceInput]) -> dict[str, list[Any]]:
    return {
        "grades": [lic.grade for lic in licences],
        "issuers": [lic.issuer for lic in licences],
        "issued": [lic.issued_on for lic in licences],
        "valid": [lic.valid_until for lic in licences],
        "refs": [lic.e_licence_ref for lic in licences],
    }


async def insert_licences(session: AsyncSession, rows: Sequence[tuple[int, Row]]) -> None:
    """Licence rows (:func:`market.registry.new_firm.licence_values`: pending, or approved
    with who reviewed them, when and why) of firms."""
    if not rows:
        return
    licences = [values for _, values in rows]
    await _run(
        session,
        "INSERT INTO licence (firm_id, licence_type, number, grade, issuer, issued_on,"
        " valid_until, e_licence_ref, status, review_reason, reviewed_at, reviewed_by)"
        " SELECT * FROM unnest(CAST(:firm_ids AS bigint[]), CAST(:types AS text[]), CAST(:numbers AS text[]),"
        "  CAST(:grades AS text[]), CAST(:issuers AS text[]),"
        "  CAST(:issued AS date[]), CAST(:valid AS date[]), CAST(:refs AS text[]),"
        "  CAST(:statuses AS text[]), CAST(:reasons AS text[]), CAST(:reviewed_at AS timestamptz[]),"
        "  CAST(:reviewed_by AS bigint[]))",
        {
            "firm_ids": [firm_id for firm_id, _ in rows],
            "types": [lic["licence_type"] for lic in licences],
            "numbers": [lic["number"] for lic in licences],
            "grades": [lic["grade"] for lic in licences],
            "issuers": [lic["issuer"] for lic in licences],
            "issued": [lic["issued_on"] for lic in licences],
            "valid": [lic["valid_until"] for lic in licences],
            "refs": [lic["e_licence_ref"] for lic in licences],
            "statuses": [lic["status"].value for lic in licences],
            "reasons": [lic["review_reason"] for lic in licences],
            "reviewed_at": [lic["reviewed_at"] for lic in licences],
            "reviewed_by": [lic["reviewed_by"] for lic in licences],
        },
    )


async def update_licences(
    session: AsyncSession,
    rows: Sequence[tuple[int, LicenceInput]],
    *,
    actor: Actor,
    reason: str,
    now: datetime,
    pending: bool = False,
) -> None:
    """Grade, issuer and dates of licences, by licence id: approved ones are marked
    reviewed by ``actor``; ``pending`` ones stay waiting for their review."""
    if not rows:
        return
    await _run(
        session,
        "UPDATE licence l SET grade = v.grade, issuer = v.issuer,"
        " issued_on = v.issued, valid_until = v.valid, e_licence_ref = v.ref,"
        " reviewed_at = COALESCE(CAST(:now AS timestamptz), l.reviewed_at),"
        " reviewed_by = COALESCE(CAST(:actor_id AS bigint), l.reviewed_by),"
        " review_reason = COALESCE(CAST(:reason AS text), l.review_reason)"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:grades AS text[]),"
        "  CAST(:issuers AS text[]), CAST(:issued AS date[]), CAST(:valid AS date[]),"
        "  CAST(:refs AS text[])) AS v(id, grade, issuer, issued, valid, ref)"
        " WHERE l.id = v.id",
        {
            "ids": [licence_id for licence_id, _ in rows],
            **_licence_params([lic for _, lic in rows]),
            "now": None if pending else now,
            "actor_id": None if pending else actor.id,
            "reason": None if pending else reason,
        },
    )


async def current_licences(
    session: AsyncSession, firm_ids: Sequence[int]
) -> dict[tuple[int, str, str], dict[str, Any]]:
    """These firms' licences by (firm id, licence type, number): the approved one if there
    is one, else the pending one, else the latest withdrawn, superseded or rejected one."""
    rows = (
        await _run(
            session,
            f"SELECT DISTINCT ON (firm_id, licence_type, number) id, firm_id, licence_type, number, status,"  # noqa: S608 (fixed column list)
            f" {', '.join(LICENCE_FIELDS)} FROM licence WHERE firm_id = ANY(CAST(:ids AS bigint[]))"
            " ORDER BY firm_id, licence_type, number,"
            "  CASE status WHEN 'approved' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, id DESC",
            {"ids": list(firm_ids)},
        )
    ).mappings()
    return {(row["firm_id"], row["licence_type"], row["number"]): dict(row) for row in rows}


async def track_record_keys(session: AsyncSession, firm_ids: Sequence[int]) -> set[tuple[int, str, date]]:
    """(firm id, project, completion date) of these firms' track records."""
    rows = await _run(
        session,
        "SELECT firm_id, project, completed_on FROM track_record WHERE firm_id = ANY(CAST(:ids AS bigint[]))",
        {"ids": list(firm_ids)},
    )
    return {(row.firm_id, row.project, row.completed_on) for row in rows}


async def insert_track_records(session: AsyncSession, rows: Sequence[tuple[int, Row]]) -> None:
    """Track record rows (:func:`market.registry.new_firm.track_record_values`) of firms."""
    if not rows:
        return
    tracks = [values for _, values in rows]
    await _run(
        session,
        "INSERT INTO track_record (firm_id, project, owner_name, contract_value, completed_on, field_code)"
        " SELECT * FROM unnest(CAST(:firm_ids AS bigint[]), CAST(:projects AS text[]),"
        "  CAST(:owners AS text[]), CAST(:values AS numeric[]), CAST(:completed AS date[]),"
        "  CAST(:fields AS text[]))",
        {
            "firm_ids": [firm_id for firm_id, _ in rows],
            "projects": [t["project"] for t in tracks],
            "owners": [t["owner_name"] for t in tracks],
            "values": [t["contract_value"] for t in tracks],
            "completed": [t["completed_on"] for t in tracks],
            "fields": [t["field_code"] for t in tracks],
        },
    )
