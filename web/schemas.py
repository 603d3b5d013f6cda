"""Request and response bodies (msgspec Structs). Controllers never return ORM objects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from market.clock import local
from market.models import Organisation, User
from market.principal import Principal
from market.registry import limits

Username = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.@-]+$",
        description="3–64 letters, digits, '_', '.', '@' or '-'",
    ),
]
Password = Annotated[str, Meta(min_length=1, max_length=256)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]


class LoginRequest(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=64)]
    password: Password


class LoginResponse(Struct):
    token: str
    token_type: str
    expires_at: datetime
    user: PrincipalView


class SignedOut(Struct):
    status: Annotated[str, Meta(description='always "signed out"')]


class PrincipalView(Struct):
    id: int
    username: str
    display_name: str
    roles: list[str]
    organisation_id: int | None

    @classmethod
    def of(cls, p: Principal) -> PrincipalView:
        return cls(p.user_id, p.username, p.display_name, sorted(r.value for r in p.roles), p.organisation_id)


class UserCreate(Struct, forbid_unknown_fields=True):
    username: Username
    display_name: Annotated[str, Meta(min_length=1, max_length=100)]
    password: Password
    roles: Annotated[list[str], Meta(min_length=1, max_length=5)]
    organisation_id: int | None = None


class UserUpdate(Struct, forbid_unknown_fields=True):
    display_name: Annotated[str, Meta(min_length=1, max_length=100)] | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    password: Password | UnsetType = UNSET


class RoleGrant(Struct, forbid_unknown_fields=True):
    role: str


class UserView(Struct):
    id: int
    username: str
    display_name: str
    roles: list[str]
    organisation_id: int | None
    is_active: bool
    version: int
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserView:
        return cls(
            u.id,
            u.username,
            u.display_name,
            u.role_names,
            u.organisation_id,
            u.is_active,
            u.version,
            local(u.created_at),
        )


class OrganisationCreate(Struct, forbid_unknown_fields=True):
    kind: str
    name: Name
    # as a person writes it; the one check (contracts.uscc) reads spaces, hyphens, lower case
    uscc: Annotated[str, Meta(min_length=1, max_length=limits.USCC_AS_WRITTEN)] | None = None
    address: Annotated[str, Meta(max_length=300)] = ""
    contact_phone: Annotated[str, Meta(max_length=40)] = ""


class OrganisationUpdate(Struct, forbid_unknown_fields=True):
    version: int
    name: Name | UnsetType = UNSET
    address: Annotated[str, Meta(max_length=300)] | UnsetType = UNSET
    contact_phone: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET

    def changes(self) -> dict[str, str]:
        return {k: v for k in ("name", "address", "contact_phone") if (v := getattr(self, k)) is not UNSET}


class OrganisationView(Struct):
    id: int
    kind: str
    name: str
    uscc: str | None
    address: str
    contact_phone: str
    version: int

    @classmethod
    def of(cls, o: Organisation) -> OrganisationView:
        return cls(o.id, o.kind.value, o.name, o.uscc, o.address, o.contact_phone, o.version)


class AuditEntryView(Struct):
    id: int
    seq: int | None
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    payload: dict[str, Any]
    hash: str | None
    prev_hash: str | None


class AuditVerifyView(Struct):
    intact: bool
    checked: int
    unsealed: int
    head_hash: str
    problems: list[str]


class Health(Struct):
    status: str
    database: str
