"""Users and organisations (administrators manage them; signed-in members may read
organisations; an applicant firm's users read only their own, see :mod:`market.policy`)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET

from market import accounts
from market.models import Role
from web.auth import requires, signed_in
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id, Limit, Offset
from web.schemas import (
    OrganisationCreate,
    OrganisationUpdate,
    OrganisationView,
    RoleGrant,
    UserCreate,
    UserUpdate,
    UserView,
)

admin_only = requires(Role.ADMIN)


class UserController(Controller):
    path = "/api/users"
    tags = ["accounts"]
    guards = [admin_only]

    @get("/", summary="List users")
    async def list_users(self, uow: UoW, limit: Limit = 100, offset: Offset = 0) -> list[UserView]:
        return [UserView.of(u) for u in await accounts.list_users(uow, limit=limit, offset=offset)]

    @post(
        "/",
        summary="Create a user (新建用户)",
        description="Roles: owner, intermediary, contractor, supervisor, admin. Passwords have "
        "at least 10 characters. User names are unique regardless of case.",
    )
    async def create_user(
        self, data: JSONBody[UserCreate], uow: UoW, actor: CurrentActor, app_state: State
    ) -> UserView:
        user = await accounts.create_user(
            uow,
            actor,
            username=data.username,
            display_name=data.display_name,
            password=data.password,
            roles=[accounts.parse_role(r) for r in data.roles],
            organisation_id=data.organisation_id,
            auth=app_state.settings.auth,
        )
        await uow.commit()
        return UserView.of(user)

    @get("/{user_id:int}", summary="One user")
    async def get_user(self, user_id: Id, uow: UoW) -> UserView:
        return UserView.of(await accounts.get_user(uow, user_id))

    @patch(
        "/{user_id:int}",
        summary="Change a user",
        description="Display name, active flag, or a new password (which ends their sessions).",
    )
    async def update_user(
        self,
        user_id: Id,
        data: JSONBody[UserUpdate],
        uow: UoW,
        actor: CurrentActor,
        app_state: State,
    ) -> UserView:
        user = await accounts.update_user(
            uow,
            actor,
            user_id,
            auth=app_state.settings.auth,
            display_name=None if data.display_name is UNSET else data.display_name,
            is_active=None if data.is_active is UNSET else data.is_active,
            password=None if data.password is UNSET else data.password,
        )
        await uow.commit()
        return UserView.of(user)

    @post("/{user_id:int}/roles", summary="Grant a role (授予角色)", status_code=200)
    async def grant(self, user_id: Id, data: JSONBody[RoleGrant], uow: UoW, actor: CurrentActor) -> UserView:
        user = await accounts.grant_role(uow, actor, user_id, accounts.parse_role(data.role))
        await uow.commit()
        return UserView.of(user)

    @delete("/{user_id:int}/roles/{role:str}", summary="Revoke a role", status_code=200)
    async def revoke(self, user_id: Id, role: FromPath[str], uow: UoW, actor: CurrentActor) -> UserView:
        user = await accounts.revoke_role(uow, actor, user_id, accounts.parse_role(role))
        await uow.commit()
        return UserView.of(user)


class OrganisationController(Controller):
    path = "/api/organisations"
    tags = ["accounts"]

    @get(
        "/",
        guards=[signed_in],
        summary="List organisations",
        description="Filter by kind: owner, intermediary, contractor, trading_centre. Not for "
        "applicants: their firm is not admitted yet.",
    )
    async def list_organisations(
        self,
        uow: UoW,
        principal: CurrentPrincipal,
        kind: FromQuery[str | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[OrganisationView]:
        parsed = accounts.parse_kind(kind) if kind else None
        rows = await accounts.list_organisations(uow, principal, kind=parsed, limit=limit, offset=offset)
        return [OrganisationView.of(o) for o in rows]

    @post(
        "/",
        guards=[admin_only],
        summary="Register an organisation (登记单位)",
        description="USCC (统一社会信用代码) is checked, including its check character.",
    )
    async def create_organisation(
        self, data: JSONBody[OrganisationCreate], uow: UoW, actor: CurrentActor
    ) -> OrganisationView:
        org = await accounts.create_organisation(
            uow,
            actor,
            kind=accounts.parse_kind(data.kind),
            name=data.name,
            uscc=data.uscc,
            address=data.address,
            contact_phone=data.contact_phone,
        )
        await uow.commit()
        return OrganisationView.of(org)

    @get("/{organisation_id:int}", guards=[signed_in], summary="One organisation")
    async def get_organisation(
        self, organisation_id: Id, uow: UoW, principal: CurrentPrincipal
    ) -> OrganisationView:
        return OrganisationView.of(await accounts.read_organisation(uow, principal, organisation_id))

    @patch(
        "/{organisation_id:int}",
        guards=[admin_only],
        summary="Change an organisation",
        description="Send the version you read; a stale version gets 409.",
    )
    async def update_organisation(
        self,
        organisation_id: Id,
        data: JSONBody[OrganisationUpdate],
        uow: UoW,
        actor: CurrentActor,
    ) -> OrganisationView:
        org = await accounts.update_organisation(
            uow, actor, organisation_id, expected_version=data.version, **data.changes()
        )
        await uow.commit()
        return OrganisationView.of(org)
