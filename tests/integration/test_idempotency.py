"""``Idempotency-Key`` on real PostgreSQL: a retry gets the first answer without acting again,
another body under the same key is a 409, a refused first attempt leaves nothing to replay,
records expire after a day, the body is kept only as a keyed fingerprint, and two
simultaneous requests with one key act once."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market import idempotency
from market.db import Database
from market.errors import InvalidInput, NotFound
from market.idempotency import Answer, IdempotencyKeyReused
from market.models import IdempotencyRecord, Organisation, OrganisationKind, User
from market.sealed.keys import KeyEncryptionKey
from tests.conftest import ClonedDatabase
from tests.integration.test_procurements import NOW

KEK = KeyEncryptionKey(bytes(range(32)))


async def _user(database: Database) -> int:
    async with database.unit_of_work() as uow:
        org = Organisation(kind=OrganisationKind.OWNER, name="韶关市财政局")
        uow.session.add(org)
        await uow.session.flush()
        user = User(
            username=f"owner-{org.id}", display_name="经办人", password_hash="x", organisation_id=org.id
        )
        uow.session.add(user)
        await uow.session.flush()
        await uow.commit()
        return user.id


class Counter:
    def __init__(self) -> None:
        self.acts = 0

    async def __call__(self) -> Answer:
        self.acts += 1
        await asyncio.sleep(0)
        return Answer(201, {"id": self.acts})


async def _once(
    database: Database, user_id: int, act: Counter, body: dict[str, object], **kw: object
) -> Answer:
    options: dict[str, object] = {"scope": "procurement:create", "key": "k-1", "now": NOW, **kw}
    async with database.unit_of_work() as uow:
        answer = await idempotency.once(uow, KEK, user_id=user_id, body=body, act=act, **options)  # type: ignore[arg-type]
        await uow.commit()
        return answer


async def test_a_retry_gets_the_first_answer_and_another_body_is_a_conflict(database: Database) -> None:
    user_id = await _user(database)
    act = Counter()
    first = await _once(database, user_id, act, {"title": "一", "budget": "1.00"})
    again = await _once(database, user_id, act, {"budget": "1.00", "title": "一"})  # key order is no change
    assert (first.status_code, first.body, first.replayed) == (201, {"id": 1}, False)
    assert (again.status_code, again.body, again.replayed) == (201, {"id": 1}, True) and act.acts == 1
    with pytest.raises(IdempotencyKeyReused, match="'k-1'"):
        await _once(database, user_id, act, {"title": "二"})
    # another scope, another user or no key at all: a new act
    await _once(database, user_id, act, {"title": "一"}, scope="procurement:publish:1")
    await _once(database, user_id, act, {"title": "一"}, key=None)
    assert act.acts == 3
    async with database.sessions() as session:
        [stored] = await session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.scope == "procurement:create")
        )
    plain = hashlib.sha256(json.dumps({"budget": "1.00", "title": "一"}, sort_keys=True).encode()).hexdigest()
    assert stored.fingerprint != plain and len(stored.fingerprint) == 64


async def test_a_refused_first_attempt_leaves_nothing_to_replay(database: Database) -> None:
    user_id = await _user(database)

    async def refuse() -> Answer:
        raise NotFound("there is no procurement 7")

    with pytest.raises(NotFound):
        async with database.unit_of_work() as uow:
            await idempotency.once(
                uow, KEK, user_id=user_id, scope="s", key="k", body={}, now=NOW, act=refuse
            )
    act = Counter()
    async with database.unit_of_work() as uow:
        answer = await idempotency.once(
            uow, KEK, user_id=user_id, scope="s", key="k", body={}, now=NOW, act=act
        )
    assert not answer.replayed and act.acts == 1


async def test_records_expire_after_a_day(database: Database) -> None:
    user_id = await _user(database)
    act = Counter()
    await _once(database, user_id, act, {"title": "一"})
    await _once(database, user_id, act, {"title": "一"}, key="k-2")
    later = NOW + idempotency.LIFETIME + timedelta(seconds=1)
    renewed = await _once(database, user_id, act, {"title": "另一个"}, now=later)  # the old answer is gone
    assert not renewed.replayed and act.acts == 3
    async with database.sessions() as session:
        keys = set(await session.scalars(select(IdempotencyRecord.key)))
    assert keys == {"k-1"}  # k-2 was purged on the way


@pytest.mark.parametrize("key", ["", "x" * 201, "键", "a\nb", "tab\there"])
def test_a_key_is_printable_ascii_of_at_most_200(key: str) -> None:
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        idempotency.check_key(key)


async def test_two_simultaneous_requests_with_one_key_act_once(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    user_id = await _user(database)
    act = Counter()
    answers = await asyncio.gather(*(_once(database, user_id, act, {"title": "一"}) for _ in range(4)))
    assert act.acts == 1 and [a.body for a in answers] == [{"id": 1}] * 4
    assert sorted(a.replayed for a in answers) == [False, True, True, True]
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
