"""Admission, profiles, licences and credit on real PostgreSQL: every transition recorded
with reason, actor and time; refused changes write nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.audit import Actor
from market.db import Database
from market.errors import Conflict, InvalidInput, PermissionDenied
from market.models import (
    AuditEntry,
    CreditCause,
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    LicenceStatus,
    MisconductSeverity,
    Organisation,
    Role,
)
from market.principal import Principal
from market.registry import admission, credit, firms, licences
from market.registry.records import InvalidRecord, firm_input
from market.settings import AuthSettings
from tests.registry_data import (
    ADMIN,
    ADMIN_USER,
    NOW,
    TODAY,
    VOCABULARY,
    admitted_firm,
    contractor,
    intermediary,
    licences_seen,
)


def firm_user(firm_id: int, role: Role = Role.CONTRACTOR) -> Principal:
    return Principal(9000 + firm_id, f"user{firm_id}", "企业经办人", frozenset({role}), firm_id)


def acting(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.username, "192.0.2.7")


async def _count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _apply(database: Database, serial: int) -> int:
    async with database.unit_of_work() as uow:
        firm = await firms.apply(
            uow, ADMIN, firm_input(VOCABULARY, contractor(serial)), now=NOW, vocabulary=VOCABULARY
        )
        await uow.commit()
        return firm.id


async def _move(database: Database, firm_id: int, to: FirmStatus, reason: str = "理由", **kw: object) -> None:
    async with database.unit_of_work() as uow:
        firm = await admission.load_firm(uow, firm_id)
        await admission.change_status(uow, ADMIN, firm, to, reason=reason, now=kw.pop("now", NOW), **kw)  # type: ignore[arg-type]
        await uow.commit()


async def test_an_application_is_admitted_and_its_licences_approved_with_history(database: Database) -> None:
    firm_id = await _apply(database, 1)
    async with database.unit_of_work() as uow:
        assert [lic.status for lic in await licences_seen(uow, firm_id)] == [LicenceStatus.PENDING]
    await _move(database, firm_id, FirmStatus.RETURNED, "请补充安全生产许可证")
    async with database.unit_of_work() as uow:
        await firms.resubmit(uow, ADMIN, ADMIN_USER, firm_id, now=NOW + timedelta(hours=1))
        await uow.commit()
    await _move(database, firm_id, FirmStatus.ADMITTED, "", now=NOW + timedelta(hours=2))
    async with database.sessions() as session:
        history = (
            await session.execute(
                select(FirmStatusChange.from_status, FirmStatusChange.to_status, FirmStatusChange.reason)
                .where(FirmStatusChange.firm_id == firm_id)
                .order_by(FirmStatusChange.id)
            )
        ).all()
        firm = await session.get(Firm, firm_id)
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(firm_id)))
        ).all()
    assert [(h[0], h[1]) for h in history] == [
        (None, FirmStatus.APPLIED),
        (FirmStatus.APPLIED, FirmStatus.RETURNED),
        (FirmStatus.RETURNED, FirmStatus.APPLIED),
        (FirmStatus.APPLIED, FirmStatus.ADMITTED),
    ]
    assert history[1][2] == "请补充安全生产许可证"
    assert firm is not None and firm.admitted_at == NOW + timedelta(hours=2)
    assert list(actions) == ["firm:applied", "firm:returned", "firm:resubmitted", "firm:admitted"]
    async with database.unit_of_work() as uow:
        assert [lic.status for lic in await licences_seen(uow, firm_id)] == [LicenceStatus.APPROVED]


async def test_transitions_outside_the_state_machine_are_refused(database: Database) -> None:
    firm_id = await _apply(database, 2)
    with pytest.raises(Conflict, match="applied cannot become suspended"):
        await _move(database, firm_id, FirmStatus.SUSPENDED)
    await _move(database, firm_id, FirmStatus.ADMITTED, "")
    await _move(database, firm_id, FirmStatus.REMOVED, "资质造假")
    with pytest.raises(Conflict, match="final"):
        await _move(database, firm_id, FirmStatus.ADMITTED)


async def test_rejecting_suspending_and_removing_need_a_reason(database: Database) -> None:
    firm_id = await _apply(database, 3)
    with pytest.raises(InvalidInput) as caught:
        await _move(database, firm_id, FirmStatus.REJECTED, "  ")
    assert caught.value.field == "reason"
    await _move(database, firm_id, FirmStatus.ADMITTED, "")
    with pytest.raises(InvalidInput, match="future"):
        await _move(database, firm_id, FirmStatus.SUSPENDED, "x", until=NOW - timedelta(days=1))


async def test_a_stale_version_is_a_conflict(database: Database) -> None:
    firm_id = await _apply(database, 4)
    async with database.unit_of_work() as uow:
        firm = await admission.load_firm(uow, firm_id)
        with pytest.raises(Conflict, match="changed by someone else"):
            await admission.change_status(
                uow, ADMIN, firm, FirmStatus.ADMITTED, reason="", now=NOW, expected_version=firm.version + 1
            )


async def test_lifting_expired_suspensions_writes_them_down(database: Database) -> None:
    firm_id = await admitted_firm(database, contractor(5))
    await _move(database, firm_id, FirmStatus.SUSPENDED, "检查", until=NOW + timedelta(days=3))
    async with database.unit_of_work() as uow:
        assert await admission.lift_expired(uow, now=NOW + timedelta(days=2)) == []
        assert await admission.lift_expired(uow, now=NOW + timedelta(days=3)) == [firm_id]
        await uow.commit()
    async with database.sessions() as session:
        firm = await session.get(Firm, firm_id)
    assert firm is not None and firm.status is FirmStatus.ADMITTED and firm.suspended_until is None


async def test_duplicate_uscc_is_a_conflict_and_writes_nothing(database: Database) -> None:
    await _apply(database, 6)
    before = (await _count(database, Organisation), await _count(database, AuditEntry))
    with pytest.raises(Conflict) as caught:
        await _apply(database, 6)
    assert caught.value.details["field"] == "uscc"
    assert (await _count(database, Organisation), await _count(database, AuditEntry)) == before


async def test_registration_refused_for_a_bad_password_leaves_nothing_behind(database: Database) -> None:
    before = (await _count(database, Organisation), await _count(database, Firm))
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput):
            await firms.register(
                uow,
                contractor(7),
                username="firm7",
                display_name="王五",
                password="short",
                address="1.2.3.4",
                now=NOW,
                vocabulary=VOCABULARY,
                auth=AuthSettings(),
            )
    assert (await _count(database, Organisation), await _count(database, Firm)) == before


async def test_a_firm_edits_its_own_profile_but_not_another(database: Database) -> None:
    mine = await admitted_firm(database, contractor(8))
    theirs = await admitted_firm(database, contractor(9))
    async with database.unit_of_work() as uow:
        firm = await firms.update_profile(
            uow,
            acting(firm_user(mine)),
            firm_user(mine),
            mine,
            {"contact_phone": "13800000000", "work_fields": "水利;交通公路"},
            expected_version=None,
            vocabulary=VOCABULARY,
            now=NOW,
        )
        assert firm.work_fields == ["water", "transport"]
        await uow.commit()
    async with database.unit_of_work() as uow:
        with pytest.raises(PermissionDenied):
            await firms.update_profile(
                uow,
                acting(firm_user(mine)),
                firm_user(mine),
                theirs,
                {"contact_phone": "13800000001"},
                expected_version=None,
                vocabulary=VOCABULARY,
                now=NOW,
            )
        with pytest.raises(InvalidRecord) as caught:
            await firms.update_profile(
                uow,
                acting(firm_user(mine)),
                firm_user(mine),
                mine,
                {"work_fields": ["航空"]},
                expected_version=None,
                vocabulary=VOCABULARY,
                now=NOW,
            )
        assert caught.value.problems[0].field == "work_fields"
        assert "housing_municipal" in caught.value.details["problems"][0]["message"]
        with pytest.raises(InvalidInput, match="USCC never changes"):
            await firms.update_profile(
                uow,
                acting(firm_user(mine)),
                firm_user(mine),
                mine,
                {"uscc": "x"},
                expected_version=None,
                vocabulary=VOCABULARY,
                now=NOW,
            )


async def test_licence_dates_out_of_order_are_refused(database: Database) -> None:
    firm_id = await admitted_firm(database, contractor(10))
    bad = {
        "licence_type": "safety_permit",
        "number": "S1",
        "issuer": "广东省住房和城乡建设厅",
        "issued_on": "2026-05-01",
        "valid_until": "2026-04-30",
    }
    before = await _count(database, Licence)
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidRecord) as caught:
            await licences.submit_licence(
                uow, acting(firm_user(firm_id)), firm_user(firm_id), firm_id, bad, vocabulary=VOCABULARY
            )
    assert caught.value.problems[0].field == "valid_until"
    assert "before the issue date" in caught.value.problems[0].message
    assert await _count(database, Licence) == before


async def test_a_rejected_licence_change_keeps_the_approved_one(database: Database) -> None:
    firm_id = await admitted_firm(database, contractor(11))
    async with database.unit_of_work() as uow:
        current = (await licences_seen(uow, firm_id))[0]
        upgrade = {
            "licence_type": "building_gc",
            "grade": "一级",
            "number": current.number,
            "issuer": "广东省住房和城乡建设厅",
            "valid_until": "2030-01-01",
        }
        pending = await licences.submit_licence(
            uow,
            acting(firm_user(firm_id)),
            firm_user(firm_id),
            firm_id,
            upgrade,
            replaces=current.id,
            vocabulary=VOCABULARY,
        )
        with pytest.raises(InvalidInput):
            await licences.review_licence(uow, ADMIN, pending.id, approve=False, reason="", now=NOW)
        await licences.review_licence(
            uow, ADMIN, pending.id, approve=False, reason="证书等级与原件不符", now=NOW
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        statuses = {lic.id: lic.status for lic in await licences_seen(uow, firm_id)}
    assert statuses == {current.id: LicenceStatus.APPROVED, pending.id: LicenceStatus.REJECTED}


async def test_expiring_licences_for_admins_and_for_the_firm(database: Database) -> None:
    soon = contractor(12)
    soon["licences"][0]["valid_until"] = (TODAY + timedelta(days=10)).isoformat()
    later = contractor(13)
    later["licences"][0]["valid_until"] = (TODAY + timedelta(days=45)).isoformat()
    soon_id = await admitted_firm(database, soon)
    await admitted_firm(database, later)
    async with database.unit_of_work() as uow:
        listed = (await licences.expiring_licences(uow, today=TODAY, days=30)).items
        own = (await licences.expiring_licences(uow, today=TODAY, days=60, firm_id=soon_id)).items
        paged = await licences.expiring_licences(uow, today=TODAY, days=60, limit=1, offset=1)
        beyond = await licences.expiring_licences(uow, today=TODAY, days=60, limit=1, offset=5)
    assert [(e.firm_id, e.days_left) for e in listed] == [(soon_id, 10)]
    assert [e.firm_id for e in own] == [soon_id]
    assert (paged.total, len(paged.items), beyond.total, beyond.items) == (2, 1, 2, [])


async def test_credit_is_the_sum_of_its_events_with_causes(database: Database) -> None:
    firm_id = await admitted_firm(database, intermediary(14))
    policy = VOCABULARY.credit
    async with database.unit_of_work() as uow:
        await credit.record_evaluation(
            uow,
            ADMIN,
            firm_id,
            procurement_ref="SGZJ-2026-0001",
            rating=5,
            on_time=True,
            now=NOW,
            policy=policy,
        )
        await credit.record_misconduct(
            uow,
            ADMIN,
            firm_id,
            severity=MisconductSeverity.MINOR,
            description="未按时提交成果",
            occurred_on=TODAY,
            now=NOW,
            policy=policy,
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        with pytest.raises(Conflict, match="already been evaluated"):
            await credit.record_evaluation(
                uow,
                ADMIN,
                firm_id,
                procurement_ref="SGZJ-2026-0001",
                rating=1,
                on_time=False,
                now=NOW,
                policy=policy,
            )
    async with database.unit_of_work() as uow:
        result = await credit.statement(uow, ADMIN_USER, firm_id)
    expected = (
        policy.base + policy.evaluation[5] + policy.on_time + policy.misconduct[MisconductSeverity.MINOR]
    )
    assert str(result.score) == str(expected) == str(result.recomputed) and result.consistent
    assert [e.cause for e in result.events] == [
        CreditCause.BASE,
        CreditCause.EVALUATION,
        CreditCause.PERFORMANCE,
        CreditCause.MISCONDUCT,
    ]
    assert str(result.events[-1].score_after) == str(expected)
    assert result.events[1].source.startswith("service_evaluation:")


async def test_credit_never_leaves_0_to_100(database: Database) -> None:
    firm_id = await admitted_firm(database, intermediary(15))
    async with database.unit_of_work() as uow:
        await credit.adjust(uow, ADMIN, firm_id, delta=Decimal("90"), reason="纠正", now=NOW)
        high = (await credit.statement(uow, ADMIN_USER, firm_id)).score
        await credit.adjust(uow, ADMIN, firm_id, delta=Decimal("-100"), reason="纠正", now=NOW)
        await credit.adjust(uow, ADMIN, firm_id, delta=Decimal("-100"), reason="纠正", now=NOW)
        low = (await credit.statement(uow, ADMIN_USER, firm_id)).score
    assert (high, low) == (Decimal("100.00"), Decimal("0.00"))


async def test_severe_misconduct_on_a_suspended_firm_extends_but_never_shortens(database: Database) -> None:
    firm_id = await admitted_firm(database, contractor(16))
    far = NOW + timedelta(days=999)
    await _move(database, firm_id, FirmStatus.SUSPENDED, "长期暂停", until=far)
    async with database.unit_of_work() as uow:
        await credit.record_misconduct(
            uow,
            ADMIN,
            firm_id,
            severity=MisconductSeverity.SEVERE,
            description="围标",
            occurred_on=TODAY,
            now=NOW,
            policy=VOCABULARY.credit,
        )
        await uow.commit()
    async with database.sessions() as session:
        firm = await session.get(Firm, firm_id)
    assert firm is not None and firm.suspended_until == far


async def test_the_scheduler_job_writes_down_ended_suspensions(database: Database) -> None:
    from market.clock import FixedClock
    from market.scheduler import BackgroundWork

    firm_id = await admitted_firm(database, contractor(17))
    await _move(database, firm_id, FirmStatus.SUSPENDED, "检查", until=NOW + timedelta(hours=1))
    clock = FixedClock(NOW + timedelta(hours=2))
    work = BackgroundWork(database, seal_interval_seconds=60, clock=clock)
    assert await work.lift_expired_suspensions() == [firm_id]
    assert await work.lift_expired_suspensions() == []


async def test_the_firm_keeps_its_organisations_uscc_whatever_is_written(database: Database) -> None:
    from sqlalchemy import text

    from tests.registry_data import uscc

    firm_id = await admitted_firm(database, contractor(18))
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            text("UPDATE firm SET uscc = :u WHERE id = :id"), {"u": uscc(999), "id": firm_id}
        )
        assert await uow.session.scalar(select(Firm.uscc).where(Firm.id == firm_id)) == uscc(18)
        await uow.session.execute(
            text("UPDATE organisation SET uscc = :u WHERE id = :id"), {"u": uscc(998), "id": firm_id}
        )
        assert await uow.session.scalar(select(Firm.uscc).where(Firm.id == firm_id)) == uscc(998)


async def test_applications_from_one_address_are_limited_per_hour(database: Database) -> None:
    from market.errors import TooManyAttempts

    auth = AuthSettings(max_applications_per_address=2)

    async def register(serial: int, address: str) -> None:
        async with database.unit_of_work() as uow:
            await firms.register(
                uow,
                contractor(serial),
                username=f"firm{serial}",
                display_name="经办人",
                password="a long enough password",
                address=address,
                now=NOW,
                vocabulary=VOCABULARY,
                auth=auth,
            )
            await uow.commit()

    await register(30, "10.0.0.1")
    await register(31, "10.0.0.1")
    before = await _count(database, Firm)
    with pytest.raises(TooManyAttempts):
        await register(32, "10.0.0.1")
    assert await _count(database, Firm) == before
    await register(33, "10.0.0.2")


async def test_the_hourly_application_limit_counts_hours_of_the_service_clock(database: Database) -> None:
    # the applications were written a moment ago by the database's clock, but the service's
    # clock says an hour has passed: only the service's clock may decide (it was the
    # database's, so a test or a server with its own clock saw a different hour)
    from market.errors import TooManyAttempts

    auth = AuthSettings(max_applications_per_address=2)

    async def register(serial: int, at: object) -> None:
        async with database.unit_of_work() as uow:
            await firms.register(
                uow,
                contractor(serial),
                username=f"firm{serial}",
                display_name="经办人",
                password="a long enough password",
                address="10.0.0.9",
                now=at,  # type: ignore[arg-type]
                vocabulary=VOCABULARY,
                auth=auth,
            )
            await uow.commit()

    await register(40, NOW)
    await register(41, NOW + timedelta(minutes=10))
    with pytest.raises(TooManyAttempts):
        await register(42, NOW + timedelta(minutes=59))
    await register(43, NOW + timedelta(minutes=61))  # the first one is more than an hour old


async def test_a_profile_change_is_stamped_by_the_service_clock_and_moves_the_version_each_time(
    database: Database,
) -> None:
    firm_id = await admitted_firm(database, contractor(44))
    versions = []
    for phone in ("13800000044", "13800000045"):  # twice at the same instant
        async with database.unit_of_work() as uow:
            firm = await firms.update_profile(
                uow,
                acting(firm_user(firm_id)),
                firm_user(firm_id),
                firm_id,
                {"contact_phone": phone},
                expected_version=None,
                vocabulary=VOCABULARY,
                now=NOW + timedelta(days=1),
            )
            await uow.commit()
            versions.append(firm.version)
    async with database.sessions() as session:
        stored = await session.get(Firm, firm_id)
    assert stored is not None and stored.updated_at == NOW + timedelta(days=1)
    assert versions[1] == versions[0] + 1


async def test_a_deduction_counts_even_after_the_score_hit_100(database: Database) -> None:
    firm_id = await admitted_firm(database, intermediary(19))
    async with database.unit_of_work() as uow:
        await credit.adjust(uow, ADMIN, firm_id, delta=Decimal("50"), reason="表彰", now=NOW)
        await credit.record_misconduct(
            uow,
            ADMIN,
            firm_id,
            severity=MisconductSeverity.SERIOUS,
            description="资料不实",
            occurred_on=TODAY,
            now=NOW,
            policy=VOCABULARY.credit,
        )
        result = await credit.statement(uow, ADMIN_USER, firm_id)
    assert str(result.score) == "95.00" == str(result.recomputed)


@pytest.mark.parametrize("delta", ["NaN", "sNaN", "Infinity", "1e30", "0.001", "0", "-100.01"])
async def test_a_correction_must_be_a_real_number_of_points(database: Database, delta: str) -> None:
    firm_id = await admitted_firm(database, intermediary(20))
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput):
            await credit.adjust(uow, ADMIN, firm_id, delta=Decimal(delta), reason="纠正", now=NOW)


async def test_an_applicants_licence_is_not_reviewed_on_its_own(database: Database) -> None:
    firm_id = await _apply(database, 21)
    async with database.unit_of_work() as uow:
        pending = (await licences_seen(uow, firm_id))[0]
        with pytest.raises(Conflict, match="reviewed with its application"):
            await licences.review_licence(uow, ADMIN, pending.id, approve=True, reason="", now=NOW)
