"""What the registry API answers to a change (an application, a decision, a licence, a
track record, misconduct, a credit correction), to an eligibility question and to a bulk
import: msgspec Read structs built by ``.of()``. Reads (the directory, a firm's record,
credit statements, licence lists) are in :mod:`web.registry_views`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from msgspec import Meta, Struct

from market.models import CreditEvent, Firm, FirmStatus, Licence, LicenceStatus, Misconduct, Registry
from market.registry.eligibility import EligibleFirm, Explanation
from market.registry.importing import ImportReport, RejectedRow
from market.registry.requirements import Requirements
from web.registry_views import Points, Score


# -- what a change did --------------------------------------------------------------------------
class ApplicationView(Struct):
    firm_id: int
    status: FirmStatus
    username: str


class FirmStatusView(Struct):
    firm_id: int
    status: FirmStatus

    @classmethod
    def of(cls, firm: Firm) -> FirmStatusView:
        return cls(firm.id, firm.status)


class DecisionView(Struct):
    firm_id: int
    status: FirmStatus
    version: int

    @classmethod
    def of(cls, firm: Firm) -> DecisionView:
        return cls(firm.id, firm.status, firm.version)


class LicenceStatusView(Struct):
    licence_id: int
    status: LicenceStatus

    @classmethod
    def of(cls, licence: Licence) -> LicenceStatusView:
        return cls(licence.id, licence.status)


class TrackRecordAdded(Struct):
    track_record_id: int


class TrackRecordRemoved(Struct):
    removed: Annotated[int, Meta(description="the id of the track record removed")]


class MisconductRecorded(Struct):
    misconduct_id: int
    deduction: Points
    suspended_until: Annotated[datetime | None, Meta(description="set when the misconduct suspends the firm")]

    @classmethod
    def of(cls, m: Misconduct) -> MisconductRecorded:
        return cls(m.id, m.deduction, m.suspended_until)


class CreditAdjusted(Struct):
    event_id: int
    score_after: Score

    @classmethod
    def of(cls, e: CreditEvent) -> CreditAdjusted:
        return cls(e.id, e.score_after)


# -- eligibility ------------------------------------------------------------------------------
class LicenceRequirementView(Struct):
    licence_type: str
    min_grade: str


class RequirementsView(Struct):
    kind: Registry
    work_field: str | None
    service_type: str | None
    licences: list[LicenceRequirementView]
    licence_rule: str
    min_practitioners: int
    local_only: bool
    min_credit: Score | None
    avoid: list[str]

    @classmethod
    def of(cls, r: Requirements) -> RequirementsView:
        return cls(
            r.kind,
            r.work_field,
            r.service_type,
            [LicenceRequirementView(lic.licence_type, lic.min_grade) for lic in r.licences],
            r.licence_rule,
            r.min_practitioners,
            r.local_only,
            r.min_credit,
            sorted(r.avoid),
        )


class EligibleFirmView(Struct):
    id: int
    uscc: str
    name: str
    credit_score: Score

    @classmethod
    def of(cls, f: EligibleFirm, name: str) -> EligibleFirmView:
        return cls(f.firm_id, f.uscc, name, f.credit_score)


class EligibilityView(Struct):
    requirements: RequirementsView
    at: datetime
    count: int
    firms: list[EligibleFirmView]


class ReasonView(Struct):
    code: Annotated[str, Meta(description="stable, e.g. licence-expired")]
    message: str


class ExplanationView(Struct):
    firm_id: int
    name: str
    eligible: bool
    at: datetime
    reasons: list[ReasonView]

    @classmethod
    def of(cls, e: Explanation) -> ExplanationView:
        return cls(
            e.firm_id,
            e.name,
            e.eligible,
            e.at.astimezone(UTC),
            [ReasonView(r.code, r.message) for r in e.reasons],
        )


# -- bulk import ------------------------------------------------------------------------------
class ProblemView(Struct):
    field: str
    message: str


class RejectedRowView(Struct):
    line: int
    uscc: str | None
    problems: list[ProblemView]

    @classmethod
    def of(cls, row: RejectedRow) -> RejectedRowView:
        return cls(row.line, row.uscc, [ProblemView(p.field, p.message) for p in row.problems])


class ImportView(Struct):
    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRowView]

    @classmethod
    def of(cls, report: ImportReport) -> ImportView:
        return cls(
            report.filename,
            report.rows,
            report.created,
            report.updated,
            report.unchanged,
            [RejectedRowView.of(row) for row in report.rejected],
        )
