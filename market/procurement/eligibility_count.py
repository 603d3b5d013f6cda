"""How many firms a procurement could draw from now, and why the others could not.

The count is the registries' own query (:func:`market.registry.eligibility.eligible_firms`),
exact at any size. The reasons come from the registries' per-firm rules
(:func:`market.registry.eligibility.judge`) run in Python — the same rules the
explanation of one firm gives, so the owner's page and a firm's own page never disagree.
Judging loads each firm with its licences, so it is bounded: the first
:data:`REFUSALS_JUDGED` ineligible firms (by id) are judged and :attr:`EligibilityCount.judged`
says how many were, so a page can say "reasons of the first 2,000 of 35,000". A firm with
two reasons counts under both codes.

Only published firms (admitted, or suspended) are judged, with their approved licences only:
an owner learns nothing the registry does not publish (an applicant, a licence under
review), as with :func:`market.registry.eligibility.explain_to`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from market.db import UnitOfWork
from market.errors import InvalidInput
from market.models import Firm, FirmStatus, Licence, LicenceStatus, Organisation
from market.procurement.draft import DraftTerms
from market.procurement.problems import Problem
from market.procurement.publication import needed_firms
from market.procurement.service import vocabulary_problems
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import Requirements, eligibility_query, eligible_firms, judge
from market.registry.records import InvalidRecord, check_uscc
from market.registry.requirements import requirements_from
from market.registry.vocabulary import Vocabulary

#: Most ineligible firms whose reasons are counted in one request.
REFUSALS_JUDGED = 2000

PUBLISHED = (FirmStatus.ADMITTED, FirmStatus.SUSPENDED)

#: Problems of these fields keep the requirements from being read, so nothing is counted.
_REQUIREMENT_FIELDS = ("service_type", "work_field", "requirements")


@dataclass(frozen=True, slots=True)
class EligibilityCount:
    """The eligibility of a draft's requirements at ``at``."""

    at: datetime
    needed: int  # firms the method needs at least (winners + alternates; 1 for direct)
    eligible: int = 0
    published: int = 0  # published firms of the registry the procurement draws from
    refusals: Mapping[str, int] = field(default_factory=dict)  # reason code -> firms kept out
    judged: int = 0  # ineligible firms whose reasons are in ``refusals``
    # the requirements could not be read (unknown service type, licence...): nothing counted
    problems: tuple[Problem, ...] = ()

    @property
    def counted(self) -> bool:
        return not self.problems

    @property
    def for_publication(self) -> int:
        """The count :func:`market.procurement.service.publish` takes: when the requirements
        cannot be read, publication lists those problems itself, and a count of 0 beside them
        would blame the registries for the owner's typing — so the shortage check is passed."""
        return self.eligible if self.counted else self.needed

    @property
    def enough(self) -> bool:
        return self.counted and self.eligible >= self.needed

    @property
    def refusals_complete(self) -> bool:
        """Whether every ineligible firm was judged (else ``refusals`` is of the first ones)."""
        return self.judged == self.published - self.eligible


def requirements_of(vocabulary: Vocabulary, terms: ProcurementTerms, draft: DraftTerms) -> Requirements:
    """The registries' :class:`Requirements` a procurement's terms ask for: its requirements
    object, its service type or field of work, and its avoidance list (回避) together.
    :class:`InvalidRecord` lists what keeps the requirements from being read."""
    resolved, problems = vocabulary_problems(vocabulary, terms, draft)
    blocking = [p for p in problems if p.field.split(".")[0] in _REQUIREMENT_FIELDS]
    if blocking:
        raise InvalidRecord(blocking)
    registry = terms.of(draft.kind).registry
    raw: dict[str, Any] = {**resolved.requirements, "kind": registry}
    raw["service_type"] = resolved.service_type if registry == "intermediary" else None
    raw["work_field"] = resolved.work_field if registry == "contractor" else None
    avoid = set(raw.get("avoid") or ())
    for entry in draft.avoidance:
        try:
            avoid.add(check_uscc(entry.firm))
        except InvalidInput:
            continue  # publication names the bad USCC; it cannot keep a firm out anyway
    raw["avoid"] = sorted(avoid)
    return requirements_from(vocabulary, raw)


async def eligibility_now(
    uow: UnitOfWork, vocabulary: Vocabulary, terms: ProcurementTerms, draft: DraftTerms, at: datetime
) -> EligibilityCount:
    """How many firms meet ``draft``'s requirements at ``at``, and per reason code how many
    published firms of its registry each reason keeps out (see the module's docstring for
    the bound). What :func:`market.procurement.service.publish` takes as ``eligible_count``
    and ``refusals``."""
    needed = needed_firms(draft)
    try:
        requirements = requirements_of(vocabulary, terms, draft)
    except InvalidRecord as exc:
        return EligibilityCount(at, needed, problems=tuple(exc.problems))
    pool = await eligible_firms(uow, vocabulary, requirements, at)
    of_registry = (Firm.kind == requirements.kind, Firm.status.in_(PUBLISHED))
    published = await uow.session.scalar(select(func.count()).select_from(Firm).where(*of_registry))
    eligible_ids = eligibility_query(vocabulary, requirements, at).subquery()
    rows = (
        await uow.session.execute(
            select(Firm, Organisation.uscc)
            .join(Organisation, Organisation.id == Firm.id)
            .where(*of_registry, Firm.id.not_in(select(eligible_ids.c.id)))
            .order_by(Firm.id)
            .limit(REFUSALS_JUDGED)
        )
    ).all()
    licences: dict[int, list[Licence]] = defaultdict(list)
    if rows:
        held = await uow.session.scalars(
            select(Licence).where(
                Licence.firm_id.in_([firm.id for firm, _ in rows]), Licence.status == LicenceStatus.APPROVED
            )
        )
        for licence in held:
            licences[licence.firm_id].append(licence)
    refusals: Counter[str] = Counter()
    for firm, uscc in rows:
        codes = {r.code for r in judge(vocabulary, requirements, firm, uscc or "", licences[firm.id], at)}
        refusals.update(codes)
    return EligibilityCount(
        at,
        needed,
        eligible=len(pool),
        published=int(published or 0),
        refusals=dict(refusals.most_common()),
        judged=len(rows),
    )
