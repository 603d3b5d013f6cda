"""Who may take part: one query for the whole eligible list, one explanation per firm.

Both read the same rules (:class:`Requirements`) at a point in time. Nothing waits for a
job to have run: a licence counts while ``issued_on <= day <= valid_until`` (the day in
China's time zone), and a suspension with an end stops counting at that instant (the lapse
rule of :mod:`market.registry.admission_rules`, here in SQL). Only approved licences count;
a pending renewal does not, so that a firm cannot qualify on unreviewed papers.

Today the eligibility API lists (:func:`eligible_firms`, for owners and supervisors) and
explains one firm (:func:`explain`); the procurement lifecycle is to draw from the first
and check a bidder with the second. A test checks on random pools that the two always agree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, cast, func, or_, select, text, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import NullType

from market import policy
from market.clock import local, local_day
from market.db import UnitOfWork
from market.errors import NotFound, PermissionDenied
from market.models import Firm, FirmStatus, Licence, LicenceStatus, Organisation
from market.principal import Principal
from market.registry.requirements import LicenceRequirement, Requirements, requirements_from
from market.registry.vocabulary import Vocabulary

__all__ = [
    "EligibleFirm",
    "EligiblePool",
    "Explanation",
    "LicenceRequirement",
    "Reason",
    "Requirements",
    "eligibility_query",
    "eligible_firms",
    "explain",
    "explain_to",
    "firm_eligible_clause",
    "firm_eligible_params",
    "is_eligible",
    "judge",
    "requirements_from",
]


# -- the list -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EligibleFirm:
    """What a draw needs of an eligible firm (names are looked up for the winners)."""

    firm_id: int
    uscc: str
    credit_score: Decimal


@dataclass(frozen=True, slots=True)
class EligiblePool:
    """The eligible firms column by column, in firm-id order. Tens of thousands of firms may
    qualify; columns cost a fraction of an object per firm, and a draw wants columns (ids,
    and credit in hundredths as integer weights) anyway. Iterating gives
    :class:`EligibleFirm` objects."""

    firm_ids: list[int]
    usccs: list[str]
    credit_hundredths: list[int]

    def __len__(self) -> int:
        return len(self.firm_ids)

    def __iter__(self) -> Iterator[EligibleFirm]:
        for firm_id, uscc, credit in zip(self.firm_ids, self.usccs, self.credit_hundredths, strict=True):
            yield EligibleFirm(firm_id, uscc, Decimal(credit).scaleb(-2))


def _licence_holders(requirements: Sequence[LicenceRequirement], day: date) -> Any:
    """Firms holding, on ``day``, an approved licence meeting any of ``requirements``.
    Written as ``firm.id IN (…)`` so that PostgreSQL can plan it as a semi-join."""
    return Firm.id.in_(
        select(Licence.firm_id).where(
            Licence.status == LicenceStatus.APPROVED,
            Licence.valid_until >= day,
            or_(Licence.issued_on.is_(None), Licence.issued_on <= day),
            or_(
                *(
                    and_(Licence.licence_type == r.licence_type, Licence.grade.in_(r.grades))
                    if r.grades
                    else Licence.licence_type == r.licence_type
                    for r in requirements
                )
            ),
        )
    )


def eligibility_query(
    vocabulary: Vocabulary, requirements: Requirements, at: datetime
) -> Select[int, str, Decimal]:
    """The SQL of :func:`eligible_firms` (exposed so that the bench can EXPLAIN it)."""
    return _eligibility_query(requirements, _local_divisions(vocabulary), at, local_day(at))


def _local_divisions(vocabulary: Vocabulary) -> tuple[str, ...]:
    return tuple(d.code for d in vocabulary.region.divisions)


def _eligibility_query(
    requirements: Requirements, local_divisions: tuple[str, ...], at: Any, day: Any
) -> Select[int, str, Decimal]:
    """``at`` and ``day`` are values, or bind parameters for a statement built once."""
    conditions: list[Any] = [
        Firm.kind == requirements.kind,
        or_(
            Firm.status == FirmStatus.ADMITTED,
            and_(Firm.status == FirmStatus.SUSPENDED, Firm.suspended_until <= at),
        ),
    ]
    if requirements.work_field:
        conditions.append(Firm.work_fields.contains([requirements.work_field]))
    if requirements.service_type:
        conditions.append(Firm.service_types.contains([requirements.service_type]))
    if requirements.min_practitioners:
        conditions.append(Firm.practitioners >= requirements.min_practitioners)
    if requirements.local_only:
        conditions.append(Firm.division_code.in_(local_divisions))
    if requirements.min_credit is not None:
        conditions.append(Firm.credit_score >= requirements.min_credit)
    if requirements.avoid:
        conditions.append(Firm.uscc.not_in(sorted(requirements.avoid)))
    if requirements.licences and requirements.licence_rule == "all":
        conditions.extend(_licence_holders([r], day) for r in requirements.licences)
    elif requirements.licences:
        conditions.append(_licence_holders(requirements.licences, day))
    return select(Firm.id, Firm.uscc, Firm.credit_score).where(*conditions)


@functools.lru_cache(maxsize=256)
def _one_firm_exists(requirements: Requirements, local_divisions: tuple[str, ...]) -> Any:
    """:func:`is_eligible`'s EXISTS per requirements, built once: a procurement's bids all
    ask the same, and building the statement and its cache key costs more than running it.
    A pure function of its arguments (the time and the firm are bind parameters), so a kept
    statement never goes stale."""
    one = _eligibility_query(requirements, local_divisions, bindparam("at"), bindparam("day"))
    return one.where(Firm.id == bindparam("firm_id")).exists()


@functools.lru_cache(maxsize=256)
def _one_firm_eligible(requirements: Requirements, local_divisions: tuple[str, ...]) -> Any:
    return select(_one_firm_exists(requirements, local_divisions))


def firm_eligible_clause(vocabulary: Vocabulary, requirements: Requirements) -> Any:
    """:func:`is_eligible` as an EXISTS clause for the WHERE of another statement (the bid's
    first write: one round trip instead of two), with the bind parameters
    :func:`firm_eligible_params` gives. The same object for the same requirements, so a
    statement built around it can be kept too."""
    return _one_firm_exists(requirements, _local_divisions(vocabulary))


def firm_eligible_params(firm_id: int, at: datetime) -> dict[str, Any]:
    return {"at": at, "day": local_day(at), "firm_id": firm_id}


async def eligible_firms(
    uow: UnitOfWork, vocabulary: Vocabulary, requirements: Requirements, at: datetime
) -> EligiblePool:
    """Every firm that meets ``requirements`` at ``at``, in firm-id order."""
    found = eligibility_query(vocabulary, requirements, at).subquery()

    def column(value: Any) -> Any:
        # one row of arrays: the driver decodes them in C, with no row object per firm
        return func.array_agg(aggregate_order_by(type_coerce(value, NullType()), found.c.id))

    arrays = select(
        column(found.c.id), column(found.c.uscc), column(cast(found.c.credit_score * 100, Integer))
    )
    # A cached generic plan cannot see which licence types are asked for and picks badly.
    await uow.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    row: Any = (await uow.session.execute(arrays)).one()
    ids, usccs, credits = row
    return EligiblePool(list(ids or ()), list(usccs or ()), list(credits or ()))


async def is_eligible(
    uow: UnitOfWork, vocabulary: Vocabulary, requirements: Requirements, firm_id: int, at: datetime
) -> bool:
    """Whether one firm meets ``requirements`` at ``at``: the list's own query restricted to
    that firm, as one EXISTS. Cheaper than :func:`explain` (no rows loaded, no Python rules),
    so a caller that needs the reasons only on a refusal asks this first."""
    query = _one_firm_eligible(requirements, _local_divisions(vocabulary))
    found = await uow.session.scalar(query, firm_eligible_params(firm_id, at))
    return bool(found)


# -- one firm, with reasons ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reason:
    """Why a firm is not eligible: ``code`` is stable, ``message`` is for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Explanation:
    firm_id: int
    name: str
    eligible: bool
    at: datetime
    reasons: tuple[Reason, ...]


async def explain(
    uow: UnitOfWork,
    vocabulary: Vocabulary,
    requirements: Requirements,
    firm_id: int,
    at: datetime,
    *,
    published_only: bool = False,
) -> Explanation:
    """Whether one firm meets ``requirements`` at ``at`` and, if not, every reason why.
    ``published_only`` (readers other than the firm and officials): applicants are not
    found, and unreviewed licences are not mentioned."""
    row = (
        await uow.session.execute(
            select(Firm, Organisation.name, Organisation.uscc)
            .join(Organisation, Organisation.id == Firm.id)
            .where(Firm.id == firm_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"there is no firm {firm_id} in the registries", firm_id=firm_id)
    firm, name, uscc = row
    if published_only and firm.status not in (FirmStatus.ADMITTED, FirmStatus.SUSPENDED):
        raise NotFound(f"there is no published firm {firm_id}", firm_id=firm_id)
    shown = [LicenceStatus.APPROVED] if published_only else [LicenceStatus.APPROVED, LicenceStatus.PENDING]
    licences = (
        await uow.session.scalars(
            select(Licence).where(Licence.firm_id == firm_id, Licence.status.in_(shown))
        )
    ).all()
    reasons = judge(vocabulary, requirements, firm, uscc or "", licences, at)
    return Explanation(firm_id, name, not reasons, at, tuple(reasons))


async def explain_to(
    uow: UnitOfWork,
    reader: Principal,
    vocabulary: Vocabulary,
    requirements: Requirements,
    firm_id: int,
    at: datetime,
) -> Explanation:
    """:func:`explain` as ``reader`` may hear it (:func:`market.policy.may_ask_eligibility`):
    an owner learns nothing of a firm the registry has not published, not even that it
    exists, so an applicant is a 404 to them rather than a 403."""
    if not policy.may_ask_eligibility(reader, firm_id):
        raise PermissionDenied("you may only ask about your own firm", firm_id=firm_id)
    published_only = not policy.may_see_firm_internals(reader, firm_id)
    return await explain(uow, vocabulary, requirements, firm_id, at, published_only=published_only)


def judge(
    vocabulary: Vocabulary,
    requirements: Requirements,
    firm: Firm,
    uscc: str,
    licences: Sequence[Licence],
    at: datetime,
) -> list[Reason]:
    """The rules of :func:`eligibility_query`, in Python, naming each one a firm fails."""
    day = local_day(at)
    reasons: list[Reason] = []
    if firm.kind is not requirements.kind:
        reasons.append(
            Reason(
                "wrong-registry",
                f"该企业属于{firm.kind.label}，本项目从{requirements.kind.label}选取",
            )
        )
    if firm.status is FirmStatus.SUSPENDED:
        if firm.suspended_until is None:
            reasons.append(Reason("suspended", f"已被暂停，未设期限（{firm.status_reason}）"))
        elif firm.suspended_until > at:
            until = local(firm.suspended_until).strftime("%Y-%m-%d %H:%M")
            reasons.append(Reason("suspended", f"暂停至 {until}（{firm.status_reason}）"))
    elif firm.status is not FirmStatus.ADMITTED:
        reasons.append(Reason("not-admitted", f"未在库：{firm.status.label}"))
    if requirements.work_field and requirements.work_field not in firm.work_fields:
        wanted = vocabulary.work_fields.name(requirements.work_field)
        reasons.append(Reason("wrong-field", f"未登记工程领域「{wanted}」"))
    if requirements.service_type and requirements.service_type not in firm.service_types:
        wanted = vocabulary.service_types.name(requirements.service_type)
        reasons.append(Reason("wrong-service", f"未登记服务类型「{wanted}」"))
    if requirements.min_practitioners and firm.practitioners < requirements.min_practitioners:
        reasons.append(
            Reason(
                "too-few-practitioners",
                f"执业人员 {firm.practitioners} 人，少于要求的 {requirements.min_practitioners} 人",
            )
        )
    if requirements.local_only and firm.division_code not in {d.code for d in vocabulary.region.divisions}:
        reasons.append(Reason("not-local", f"注册地不在{vocabulary.region.city}，本项目限本地企业"))
    if requirements.min_credit is not None and firm.credit_score < requirements.min_credit:
        reasons.append(
            Reason("low-credit", f"信用分 {firm.credit_score} 低于要求的 {requirements.min_credit}")
        )
    if uscc in requirements.avoid:
        reasons.append(Reason("avoided", "在本项目的回避名单中"))
    reasons.extend(_licence_reasons(vocabulary, requirements, licences, day))
    return reasons


def _licence_reasons(
    vocabulary: Vocabulary, requirements: Requirements, licences: Sequence[Licence], day: date
) -> list[Reason]:
    if not requirements.licences:
        return []
    missing: list[Reason] = []
    for requirement in requirements.licences:
        reason = _licence_reason(vocabulary, requirement, licences, day)
        if reason is None:
            if requirements.licence_rule == "any":
                return []
        else:
            missing.append(reason)
    if requirements.licence_rule == "any" and len(requirements.licences) > 1:
        names = "、".join(vocabulary.licence_name(r.licence_type) for r in requirements.licences)
        missing.insert(0, Reason("no-listed-licence", f"不具备所列资质中的任何一项（{names}）"))
    return missing


def _licence_reason(
    vocabulary: Vocabulary, requirement: LicenceRequirement, licences: Sequence[Licence], day: date
) -> Reason | None:
    """None when some approved licence satisfies ``requirement`` on ``day``; otherwise the
    reason of the closest miss (expired beats too low a grade beats pending beats absent)."""
    name = vocabulary.licence_name(requirement.licence_type)
    of_type = [lic for lic in licences if lic.licence_type == requirement.licence_type]
    approved = [lic for lic in of_type if lic.status is LicenceStatus.APPROVED]
    graded_ok = [lic for lic in approved if not requirement.grades or lic.grade in requirement.grades]
    for lic in graded_ok:
        if lic.valid_until >= day and (lic.issued_on is None or lic.issued_on <= day):
            return None
    expired = [lic for lic in graded_ok if lic.valid_until < day]
    if expired:
        latest = max(expired, key=lambda lic: lic.valid_until)
        return Reason(
            "licence-expired",
            f"{name}（证书编号 {latest.number}）有效期至 {latest.valid_until.isoformat()}，已过期",
        )
    future = [lic for lic in graded_ok if lic.issued_on is not None and lic.issued_on > day]
    if future:
        return Reason(
            "licence-not-yet-valid", f"{name}（证书编号 {future[0].number}）自 {future[0].issued_on} 起才有效"
        )
    if approved:
        held = "、".join(sorted({lic.grade or "—" for lic in approved}))
        return Reason("licence-grade-too-low", f"{name}等级为{held}，低于要求的{requirement.min_grade}")
    if of_type:
        return Reason("licence-pending", f"{name}尚在审核中，审核通过前不计入")
    return Reason("licence-missing", f"不具备{name}")
