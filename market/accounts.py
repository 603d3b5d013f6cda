"""Accounts: organisations, users, roles, sign-in sessions, login rate limits.

Every change writes an audit entry in the same transaction. Functions take a unit of
work and leave committing to the caller, except :func:`login`, which must keep the
record of a refused attempt even though it then raises.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from market import audit, policy
from market.audit import Actor
from market.db import Database, UnitOfWork
from market.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from market.models import (
    Firm,
    FirmStatus,
    LoginAttempt,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserRole,
    UserSession,
)
from market.passwords import check_strength, hash_password, verify_password
from market.prepared import Prepared
from market.principal import Principal
from market.registry.records import check_uscc
from market.settings import AuthSettings

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {value!r}; roles are: {allowed}", field="role") from None


def parse_kind(value: str) -> OrganisationKind:
    try:
        return OrganisationKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in OrganisationKind)
        raise InvalidInput(
            f"unknown organisation kind {value!r}; kinds are: {allowed}", field="kind"
        ) from None


# -- organisations -----------------------------------------------------------------------
async def create_organisation(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: OrganisationKind,
    name: str,
    uscc: str | None = None,
    address: str = "",
    contact_phone: str = "",
) -> Organisation:
    name = name.strip()
    if not name:
        raise InvalidInput("the organisation needs a name", field="name")
    if len(name) > 200:
        raise InvalidInput("the organisation name is longer than 200 characters", field="name")
    code = check_uscc(uscc) if uscc else None
    if code is not None:
        clash = await uow.session.scalar(select(Organisation.id).where(Organisation.uscc == code))
        if clash is not None:
            raise Conflict(f"an organisation with USCC {code} is already registered", field="uscc")
    org = Organisation(
        kind=kind, name=name, uscc=code, address=address.strip(), contact_phone=contact_phone.strip()
    )
    uow.session.add(org)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "organisation:created",
        "organisation",
        org.id,
        {"kind": kind, "name": name, "uscc": code, "address": org.address},
    )
    return org


async def get_organisation(uow: UnitOfWork, organisation_id: int) -> Organisation:
    org = await uow.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"there is no organisation {organisation_id}", organisation_id=organisation_id)
    return org


async def read_organisation(uow: UnitOfWork, reader: Principal, organisation_id: int) -> Organisation:
    """One organisation, if ``reader`` may read it (:func:`market.policy.may_read_organisation`)."""
    if not policy.may_read_organisation(reader, organisation_id):
        raise PermissionDenied(
            "until your firm is admitted you may read only your own organisation",
            organisation_id=organisation_id,
        )
    return await get_organisation(uow, organisation_id)


async def list_organisations(
    uow: UnitOfWork,
    reader: Principal,
    *,
    kind: OrganisationKind | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Organisation]:
    """Every body and firm with its address and phone: for members
    (:func:`market.policy.may_list_organisations`)."""
    if not policy.may_list_organisations(reader):
        raise PermissionDenied(
            "the organisation list is for admitted members; your firm's application is not "
            "admitted yet (see GET /api/firms/{your firm} for its state)"
        )
    query = select(Organisation).order_by(Organisation.id).limit(limit).offset(offset)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return (await uow.session.scalars(query)).all()


async def update_organisation(
    uow: UnitOfWork,
    actor: Actor,
    organisation_id: int,
    *,
    expected_version: int | None = None,
    **changes: str,
) -> Organisation:
    org = await get_organisation(uow, organisation_id)
    if expected_version is not None and org.version != expected_version:
        raise Conflict(
            f"organisation {organisation_id} was changed by someone else (version {org.version}, "
            f"you had {expected_version}); reload and try again",
            current_version=org.version,
        )
    before: dict[str, str | None] = {}
    for key, value in changes.items():
        if key not in {"name", "address", "contact_phone"}:
            raise InvalidInput(f"{key} cannot be changed here", field=key)
        value = value.strip()
        if key == "name" and not value:
            raise InvalidInput("the organisation needs a name", field="name")
        before[key] = getattr(org, key)
        setattr(org, key, value)
    await uow.session.flush()
    await audit.record(
        uow, actor, "organisation:changed", "organisation", org.id, {"before": before, "after": changes}
    )
    return org


# -- users ----------------------------------------------------------------------------------
def _check_username(username: str) -> str:
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "a user name has 3–64 characters: letters, digits, '_', '.', '@' or '-'",
            field="username",
        )
    return username


async def create_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Sequence[Role],
    organisation_id: int | None,
    auth: AuthSettings,
) -> User:
    _check_username(username)
    if not display_name.strip():
        raise InvalidInput("the user needs a display name (姓名)", field="display_name")
    if not roles:
        raise InvalidInput("a user needs at least one role", field="roles")
    check_strength(password, min_length=auth.min_password_length)
    if organisation_id is not None:
        await get_organisation(uow, organisation_id)
    taken = await uow.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise Conflict(f"the user name {username!r} is already taken", field="username")
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        organisation_id=organisation_id,
        roles=[UserRole(role=r, granted_by=actor.id) for r in dict.fromkeys(roles)],
    )
    uow.session.add(user)
    try:
        await uow.session.flush()
    except IntegrityError:
        # Two requests racing for one name: the unique index decides, we answer cleanly.
        raise Conflict(f"the user name {username!r} is already taken", field="username") from None
    await audit.record(
        uow,
        actor,
        "user:created",
        "user",
        user.id,
        {"username": username, "display_name": user.display_name, "organisation_id": organisation_id},
    )
    for role in dict.fromkeys(roles):
        await audit.record(uow, actor, "role:granted", "user", user.id, {"role": role})
    return user


async def get_user(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"there is no user {user_id}", user_id=user_id)
    return user


async def find_user(uow: UnitOfWork, username: str) -> User | None:
    return await uow.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


async def list_users(uow: UnitOfWork, *, limit: int = 100, offset: int = 0) -> Sequence[User]:
    return (await uow.session.scalars(select(User).order_by(User.id).limit(limit).offset(offset))).all()


async def grant_role(uow: UnitOfWork, actor: Actor, user_id: int, role: Role) -> User:
    user = await get_user(uow, user_id)
    if role in {r.role for r in user.roles}:
        raise Conflict(f"user {user.username} already has the role {role.value}", field="role")
    user.roles.append(UserRole(role=role, granted_by=actor.id))
    await uow.session.flush()
    await audit.record(uow, actor, "role:granted", "user", user.id, {"role": role})
    return user


async def revoke_role(uow: UnitOfWork, actor: Actor, user_id: int, role: Role) -> User:
    user = await get_user(uow, user_id)
    held = [r for r in user.roles if r.role == role]
    if not held:
        raise NotFound(f"user {user.username} does not have the role {role.value}", field="role")
    if len(user.roles) == 1:
        raise Conflict("a user keeps at least one role; deactivate the account instead", field="role")
    user.roles.remove(held[0])
    await uow.session.flush()
    await audit.record(uow, actor, "role:revoked", "user", user.id, {"role": role})
    return user


async def update_user(
    uow: UnitOfWork,
    actor: Actor,
    user_id: int,
    *,
    auth: AuthSettings,
    display_name: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    user = await get_user(uow, user_id)
    changed: dict[str, object] = {}
    if display_name is not None:
        if not display_name.strip():
            raise InvalidInput("the display name cannot be empty", field="display_name")
        changed["display_name"] = {"before": user.display_name, "after": display_name.strip()}
        user.display_name = display_name.strip()
    if is_active is not None and is_active != user.is_active:
        changed["is_active"] = is_active
        user.is_active = is_active
        if not is_active:
            await _revoke_sessions(uow, user.id)
    if password is not None:
        check_strength(password, min_length=auth.min_password_length)
        user.password_hash = hash_password(password)
        changed["password"] = "changed"  # noqa: S105 (a note, not a password)
        await _revoke_sessions(uow, user.id)
    if not changed:
        raise InvalidInput("nothing to change", field=None)
    await uow.session.flush()
    await audit.record(uow, actor, "user:changed", "user", user.id, changed)
    return user


async def _revoke_sessions(uow: UnitOfWork, user_id: int) -> None:
    await uow.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def principal_of(user: User, firm_status: FirmStatus | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(r.role for r in user.roles),
        organisation_id=user.organisation_id,
        organisation_uscc=user.organisation.uscc if user.organisation is not None else None,
        firm_status=firm_status,
    )


async def _firm_status(uow: UnitOfWork, organisation_id: int | None) -> FirmStatus | None:
    if organisation_id is None:
        return None
    return await uow.session.scalar(select(Firm.status).where(Firm.id == organisation_id))


# -- sign-in -------------------------------------------------------------------------------
def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class Login:
    token: str
    expires_at: datetime
    principal: Principal


async def _recent_failures(
    uow: UnitOfWork, since: datetime, *, username: str, address: str
) -> tuple[int, int]:
    """Refused logins since ``since``: for this account, and from this address (one query)."""
    refused = and_(LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since)
    by_account = func.lower(LoginAttempt.username) == username.lower()
    by_address = LoginAttempt.client_address == address
    row = (
        await uow.session.execute(
            select(
                func.count().filter(by_account),
                func.count().filter(by_address),
            ).where(refused, or_(by_account, by_address))
        )
    ).one()
    return int(row[0]), int(row[1])


async def login(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    address: str,
    now: datetime,
    auth: AuthSettings,
) -> Login:
    """Check the password and open a session. Refusals are recorded and committed before
    the error is raised, so that the rate limit and the audit log see them."""
    window = timedelta(minutes=auth.failure_window_minutes)
    username = username.strip()[:64]
    by_account, by_address = await _recent_failures(uow, now - window, username=username, address=address)
    if by_account >= auth.max_failures_per_account or by_address >= auth.max_failures_per_address:
        which = "this account" if by_account >= auth.max_failures_per_account else "your address"
        await audit.record(
            uow,
            Actor(None, username or "?", address),
            "login:throttled",
            "user",
            username or "?",
            {"failures_account": by_account, "failures_address": by_address},
        )
        await uow.commit()
        raise TooManyAttempts(
            f"too many failed logins for {which}; wait {auth.failure_window_minutes} minutes "
            "and try again, or ask an administrator to reset the password",
            retry_after=int(window.total_seconds()),
        )
    user = await find_user(uow, username) if username else None
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        reason = "unknown user" if user is None else ("inactive" if valid else "wrong password")
        uow.session.add(
            LoginAttempt(username=username, client_address=address, succeeded=False, attempted_at=now)
        )
        await audit.record(
            uow,
            Actor(None, username or "?", address),
            "login:refused",
            "user",
            user.id if user else (username or "?"),
            {"reason": reason},
        )
        await uow.commit()
        if user is not None and valid and not user.is_active:
            raise AuthenticationFailed("this account has been deactivated; ask an administrator")
        raise AuthenticationFailed("wrong user name or password (用户名或密码错误)")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=auth.session_hours)
    uow.session.add(LoginAttempt(username=username, client_address=address, succeeded=True, attempted_at=now))
    uow.session.add(
        UserSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=expires,
            client_address=address,
        )
    )
    await audit.record(
        uow,
        Actor(user.id, user.username, address),
        "session:opened",
        "user",
        user.id,
        {"expires_at": expires},
    )
    principal = principal_of(user, await _firm_status(uow, user.organisation_id))
    return Login(token=token, expires_at=expires, principal=principal)


def _session_lookup() -> Any:
    """The statement of :func:`authenticate`, built once: building a statement and its cache
    key costs more Python time than PostgreSQL spends running it. Table columns rather than
    mapped attributes, so no ORM machinery runs per request."""
    users, sessions = User.__table__.c, UserSession.__table__.c
    orgs, firms, user_roles = Organisation.__table__.c, Firm.__table__.c, UserRole.__table__.c
    roles = select(func.array_agg(user_roles.role)).where(user_roles.user_id == users.id).scalar_subquery()
    return (
        select(
            users.id, users.username, users.display_name, users.organisation_id, orgs.uscc, firms.status,
            roles,
        )
        .select_from(User.__table__)
        .join(UserSession.__table__, sessions.user_id == users.id)
        .outerjoin(Organisation.__table__, orgs.id == users.organisation_id)
        .outerjoin(Firm.__table__, firms.id == users.organisation_id)
        .where(
            sessions.token_hash == bindparam("token_hash"),
            sessions.revoked_at.is_(None),
            sessions.expires_at > bindparam("now"),
            users.is_active.is_(True),
        )
    )


_SESSION_LOOKUP = _session_lookup()


def session_vouches(role: Role) -> Any:
    """What :func:`authenticate` asks of a session, as a clause for the WHERE of a write that
    checks its caller itself (market.bidding.express): the session ``:token_hash`` is live at
    ``:now`` and its user ``:user_id``, active, acts for ``:organisation_id`` with ``role``.
    A write made on a principal read a few seconds earlier then writes nothing if the session
    was signed out, or the user deactivated, moved or stripped of the role, meanwhile."""
    users, sessions, user_roles = User.__table__.c, UserSession.__table__.c, UserRole.__table__.c
    return exists().where(
        sessions.token_hash == bindparam("token_hash", type_=sessions.token_hash.type),
        sessions.revoked_at.is_(None),
        sessions.expires_at > bindparam("now", type_=sessions.expires_at.type),
        users.id == sessions.user_id,
        users.id == bindparam("user_id", type_=users.id.type),
        users.is_active.is_(True),
        users.organisation_id == bindparam("organisation_id", type_=users.organisation_id.type),
        exists().where(user_roles.user_id == users.id, user_roles.role == role),
    )


_SESSION_LOOKUP_DIRECT = Prepared(_SESSION_LOOKUP, ["token_hash", "now"])


async def authenticate(uow: UnitOfWork, token: str, *, now: datetime) -> Principal | None:
    """The principal behind a session token, or None if it is unknown, expired or revoked.

    One statement, columns only: it runs before every signed-in request, so the roles come
    aggregated in the same row (the ORM's ``selectin`` would be a second round trip) and no
    User object is built. Nothing is written: a session has no "last seen" to update."""
    found = (
        await uow.session.execute(_SESSION_LOOKUP, {"token_hash": token_digest(token), "now": now})
    ).one_or_none()
    return None if found is None else _principal_from(found)


async def authenticate_directly(database: Database, token: str, *, now: datetime) -> Principal | None:
    """:func:`authenticate` for a request that needs no unit of work: the one statement on the
    database's direct pool (a transaction of its own), or in a unit of work of its own when the
    database has none (tests' databases bound to a transaction)."""
    if database.direct is None:
        async with database.unit_of_work() as uow:
            return await authenticate(uow, token, now=now)
    found = await database.direct.row(_SESSION_LOOKUP_DIRECT, {"token_hash": token_digest(token), "now": now})
    return None if found is None else _principal_from(found)


def _principal_from(found: Sequence[Any]) -> Principal:
    user_id, username, display_name, organisation_id, uscc, firm_status, role_names = found
    return Principal(
        user_id=user_id,
        username=username,
        display_name=display_name,
        roles=frozenset(Role(r) for r in role_names or ()),
        organisation_id=organisation_id,
        organisation_uscc=uscc,
        firm_status=None if firm_status is None else FirmStatus(firm_status),
    )


async def logout(uow: UnitOfWork, token: str, actor: Actor) -> None:
    result = await uow.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    if getattr(result, "rowcount", 0):
        await audit.record(uow, actor, "session:closed", "user", actor.id or "?", {})
