"""Request bodies of the registry API (msgspec Structs; the domain checks the values)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType, structs

from market.registry import limits
from market.registry.admission_rules import Decision
from web.schemas import Password, Username

Codes = Annotated[list[str], Meta(max_length=limits.CODES)] | str
FirmName = Annotated[str, Meta(max_length=limits.FIRM_TEXT["name"])]


class LicenceBody(Struct, forbid_unknown_fields=True):
    licence_type: Annotated[str, Meta(description="code or name, e.g. building_gc or 建筑工程施工总承包")]
    number: Annotated[str, Meta(max_length=limits.LICENCE_NUMBER)]
    issuer: Annotated[str, Meta(max_length=limits.LICENCE_ISSUER)]
    valid_until: Annotated[str, Meta(description="YYYY-MM-DD")]
    grade: Annotated[str, Meta(max_length=limits.LICENCE_GRADE)] = ""
    issued_on: str | None = None
    e_licence_ref: Annotated[str, Meta(max_length=limits.E_LICENCE_REF)] | None = None
    replaces: int | None = None

    def raw(self) -> dict[str, Any]:
        return {k: v for k, v in structs.asdict(self).items() if k != "replaces"}


class TrackRecordBody(Struct, forbid_unknown_fields=True):
    project: Annotated[str, Meta(max_length=limits.PROJECT)]
    owner_name: Annotated[str, Meta(max_length=limits.OWNER_NAME)]
    contract_value: Annotated[str, Meta(description="yuan, e.g. 1250000.00")]
    completed_on: str
    field_code: str


class FirmBody(Struct, forbid_unknown_fields=True):
    kind: Annotated[str, Meta(description="contractor (小额工程企业库) or intermediary (中介机构库)")]
    uscc: Annotated[str, Meta(description="统一社会信用代码, 18 characters (spaces and hyphens are ignored)")]
    name: FirmName
    legal_representative: Annotated[str, Meta(max_length=limits.FIRM_TEXT["legal_representative"])]
    address: Annotated[str, Meta(max_length=limits.FIRM_TEXT["address"])]
    division_code: Annotated[
        str, Meta(description="county-level division of registration, code or name; empty if outside")
    ] = ""
    # The field's name until issue 10 (the profile update and the answers always said
    # division_code); still read so that clients written against it keep working.
    division: Annotated[str, Meta(description="deprecated: the old name of division_code")] | UnsetType = (
        UNSET
    )
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    introduction: str = ""
    work_fields: Codes = []
    service_types: Codes = []
    practitioners: int = 0
    service_area: Codes = []
    licences: Annotated[list[LicenceBody], Meta(max_length=limits.LICENCES)] = []
    track_records: Annotated[list[TrackRecordBody], Meta(max_length=limits.TRACK_RECORDS)] = []

    def raw(self) -> dict[str, Any]:
        data = structs.asdict(self)
        old = data.pop("division")
        if old is not UNSET and not self.division_code:
            data["division_code"] = old
        data["licences"] = [lic.raw() for lic in self.licences]
        data["track_records"] = [structs.asdict(t) for t in self.track_records]
        return data


class AccountBody(Struct, forbid_unknown_fields=True):
    username: Username
    display_name: Annotated[str, Meta(min_length=1, max_length=100)]
    password: Password


class ApplicationBody(Struct, forbid_unknown_fields=True):
    """Self-service application: the firm's record and its first user account."""

    firm: FirmBody
    account: AccountBody


class ProfileUpdate(Struct, forbid_unknown_fields=True):
    version: Annotated[int, Meta(description="the version you read; a stale one is a 409")]
    name: FirmName | UnsetType = UNSET
    legal_representative: str | UnsetType = UNSET
    address: str | UnsetType = UNSET
    division_code: str | UnsetType | None = UNSET
    contact_name: str | UnsetType = UNSET
    contact_phone: str | UnsetType = UNSET
    contact_email: str | UnsetType = UNSET
    introduction: str | UnsetType = UNSET
    work_fields: Codes | UnsetType = UNSET
    service_types: Codes | UnsetType = UNSET
    practitioners: int | UnsetType = UNSET
    service_area: Codes | UnsetType = UNSET

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in structs.asdict(self).items() if k != "version" and v is not UNSET}


class DecisionBody(Struct, forbid_unknown_fields=True):
    decision: Decision
    reason: str = ""
    until: datetime | None = None
    version: int | None = None


class LicenceReview(Struct, forbid_unknown_fields=True):
    approve: bool
    reason: str = ""


class MisconductBody(Struct, forbid_unknown_fields=True):
    severity: Literal["minor", "serious", "severe"]
    description: Annotated[str, Meta(min_length=1, max_length=limits.MISCONDUCT_DESCRIPTION)]
    occurred_on: str
    reference: Annotated[str, Meta(max_length=limits.MISCONDUCT_REFERENCE)] = ""


class CreditAdjustment(Struct, forbid_unknown_fields=True):
    delta: Annotated[str, Meta(description="points, e.g. -2.50")]
    reason: Annotated[str, Meta(min_length=1, max_length=limits.CREDIT_REASON)]


class ResubmitBody(Struct, forbid_unknown_fields=True):
    note: str = ""


class EligibilityBody(Struct, forbid_unknown_fields=True):
    """Requirements (see docs/registry.md) and the time to judge at (default: now)."""

    requirements: dict[str, Any]
    at: datetime | None = None
