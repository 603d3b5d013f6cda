"""Accounts: creation rules, roles, sign-in, rate limits; every change audited, and a refused
request writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.db import Database
from market.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, TooManyAttempts
from market.models import AuditEntry, OrganisationKind, Role, User
from market.settings import AuthSettings

AUTH = AuthSettings()
ADMIN = Actor(None, "test-admin")
GOOD_PASSWORD = "correct horse battery"


async def _count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _create(database: Database, username: str = "zhang.wei", roles: list[Role] | None = None) -> int:
    async with database.unit_of_work() as uow:
        user = await accounts.create_user(
            uow,
            ADMIN,
            username=username,
            display_name="张伟",
            password=GOOD_PASSWORD,
            roles=roles or [Role.OWNER],
            organisation_id=None,
            auth=AUTH,
        )
        await uow.commit()
        return user.id


async def _actions(database: Database) -> list[str]:
    async with database.sessions() as session:
        return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


async def test_creating_a_user_audits_the_user_and_each_role(database: Database) -> None:
    await _create(database, roles=[Role.OWNER, Role.SUPERVISOR])
    assert await _actions(database) == ["user:created", "role:granted", "role:granted"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "short"}, "password"),
        ({"username": "x"}, "username"),
        ({"username": "名字"}, "username"),
        ({"display_name": "  "}, "display_name"),
        ({"roles": []}, "roles"),
        ({"organisation_id": 424242}, None),
    ],
)
async def test_bad_user_input_names_the_field_and_writes_nothing(
    database: Database, changes: dict[str, object], field: str | None
) -> None:
    values: dict[str, object] = {
        "username": "li.hua",
        "display_name": "李华",
        "password": GOOD_PASSWORD,
        "roles": [Role.OWNER],
        "organisation_id": None,
    }
    values.update(changes)
    async with database.unit_of_work() as uow:
        with pytest.raises((InvalidInput, NotFound)) as caught:
            await accounts.create_user(uow, ADMIN, auth=AUTH, **values)  # type: ignore[arg-type]
    if field:
        assert caught.value.details["field"] == field
    assert await _count(database, User) == 0
    assert await _count(database, AuditEntry) == 0


def test_unknown_role_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput, match="owner, intermediary, contractor, supervisor, admin"):
        accounts.parse_role("boss")


async def test_duplicate_user_name_is_a_conflict_regardless_of_case(database: Database) -> None:
    await _create(database, "Zhang.Wei")
    with pytest.raises(Conflict, match="already taken"):
        await _create(database, "zhang.wei")
    assert await _count(database, User) == 1


async def test_login_opens_a_session_that_authenticates_until_logout(database: Database) -> None:
    await _create(database)
    clock = FixedClock()
    async with database.unit_of_work() as uow:
        result = await accounts.login(
            uow, username="ZHANG.WEI", password=GOOD_PASSWORD, address="1.2.3.4", now=clock.now(), auth=AUTH
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        principal = await accounts.authenticate(uow, result.token, now=clock.now())
        assert principal is not None and principal.roles == {Role.OWNER}
        await accounts.logout(uow, result.token, Actor(principal.user_id, principal.username))
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await accounts.authenticate(uow, result.token, now=clock.now()) is None
    assert "session:opened" in await _actions(database)
    assert "session:closed" in await _actions(database)


async def test_session_expires(database: Database) -> None:
    await _create(database)
    clock = FixedClock()
    async with database.unit_of_work() as uow:
        result = await accounts.login(
            uow, username="zhang.wei", password=GOOD_PASSWORD, address="1.2.3.4", now=clock.now(), auth=AUTH
        )
        await uow.commit()
    clock.advance(hours=AUTH.session_hours, seconds=1)
    async with database.unit_of_work() as uow:
        assert await accounts.authenticate(uow, result.token, now=clock.now()) is None


async def test_wrong_password_is_refused_and_audited(database: Database) -> None:
    await _create(database)
    async with database.unit_of_work() as uow:
        with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
            await accounts.login(
                uow,
                username="zhang.wei",
                password="nope nope nope",
                address="1.2.3.4",
                now=FixedClock().now(),
                auth=AUTH,
            )
    assert (await _actions(database))[-1] == "login:refused"


async def test_too_many_failures_lock_the_account_for_the_window(database: Database) -> None:
    await _create(database)
    clock = FixedClock()
    for _ in range(AUTH.max_failures_per_account):
        async with database.unit_of_work() as uow:
            with pytest.raises(AuthenticationFailed):
                await accounts.login(
                    uow,
                    username="zhang.wei",
                    password="guess guess guess",
                    address="5.6.7.8",
                    now=clock.now(),
                    auth=AUTH,
                )
        clock.advance(seconds=10)
    async with database.unit_of_work() as uow:
        with pytest.raises(TooManyAttempts) as caught:
            # even the right password waits out the window
            await accounts.login(
                uow,
                username="zhang.wei",
                password=GOOD_PASSWORD,
                address="9.9.9.9",
                now=clock.now(),
                auth=AUTH,
            )
    assert caught.value.retry_after == AUTH.failure_window_minutes * 60
    clock.advance(minutes=AUTH.failure_window_minutes)
    async with database.unit_of_work() as uow:
        await accounts.login(
            uow, username="zhang.wei", password=GOOD_PASSWORD, address="9.9.9.9", now=clock.now(), auth=AUTH
        )


async def test_deactivated_user_cannot_sign_in_and_loses_sessions(database: Database) -> None:
    user_id = await _create(database)
    clock = FixedClock()
    async with database.unit_of_work() as uow:
        result = await accounts.login(
            uow, username="zhang.wei", password=GOOD_PASSWORD, address="", now=clock.now(), auth=AUTH
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        await accounts.update_user(uow, ADMIN, user_id, auth=AUTH, is_active=False)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await accounts.authenticate(uow, result.token, now=clock.now()) is None
        with pytest.raises(AuthenticationFailed, match="deactivated"):
            await accounts.login(
                uow, username="zhang.wei", password=GOOD_PASSWORD, address="", now=clock.now(), auth=AUTH
            )


async def test_roles_are_granted_and_revoked_with_audit(database: Database) -> None:
    user_id = await _create(database)
    async with database.unit_of_work() as uow:
        await accounts.grant_role(uow, ADMIN, user_id, Role.SUPERVISOR)
        with pytest.raises(Conflict):
            await accounts.grant_role(uow, ADMIN, user_id, Role.SUPERVISOR)
        await accounts.revoke_role(uow, ADMIN, user_id, Role.OWNER)
        with pytest.raises(Conflict, match="at least one role"):
            await accounts.revoke_role(uow, ADMIN, user_id, Role.SUPERVISOR)
        await uow.commit()
    actions = await _actions(database)
    assert actions[-2:] == ["role:granted", "role:revoked"]


async def test_organisation_uscc_is_validated_and_unique(database: Database) -> None:
    from market.demo import demo_uscc

    code = demo_uscc(12345)
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="统一社会信用代码") as caught:
            await accounts.create_organisation(
                uow,
                ADMIN,
                kind=OrganisationKind.INTERMEDIARY,
                name="坏代码公司",
                uscc=code[:-1] + ("0" if code[-1] != "0" else "1"),
            )
        assert caught.value.field == "uscc"
        await accounts.create_organisation(
            uow, ADMIN, kind=OrganisationKind.INTERMEDIARY, name="韶关测试咨询有限公司", uscc=code
        )
        with pytest.raises(Conflict, match=code):
            await accounts.create_organisation(
                uow, ADMIN, kind=OrganisationKind.CONTRACTOR, name="另一家", uscc=code
            )


async def test_stale_organisation_version_is_a_conflict(database: Database) -> None:
    async with database.unit_of_work() as uow:
        org = await accounts.create_organisation(uow, ADMIN, kind=OrganisationKind.OWNER, name="韶关市某局")
        await accounts.update_organisation(uow, ADMIN, org.id, expected_version=1, address="新地址")
        with pytest.raises(Conflict, match="reload"):
            await accounts.update_organisation(uow, ADMIN, org.id, expected_version=1, name="旧名")
