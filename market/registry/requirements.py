"""What a procurement asks of the firms it draws from, checked.

Requirements arrive as JSON (owners' forms, stored procurements). Whatever their shape,
:func:`requirements_from` gives :class:`Requirements` or an :class:`InvalidRecord` listing
every problem with its field; nothing else escapes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from market.errors import InvalidInput
from market.models import Registry
from market.registry.records import InvalidRecord, Problem, check_uscc
from market.registry.vocabulary import Vocabulary

Rule = Literal["any", "all"]


@dataclass(frozen=True, slots=True)
class LicenceRequirement:
    """A licence type and, when a lowest grade is asked for, the grades good enough: that
    one and those above it on the type's ladder (empty: any grade). Grades are matched by
    name, so a city that edits its ladders never leaves stale ranks behind."""

    licence_type: str
    min_grade: str = ""
    grades: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a procurement asks of the firms it draws from."""

    kind: Registry
    work_field: str | None = None
    service_type: str | None = None
    licences: tuple[LicenceRequirement, ...] = ()
    licence_rule: Rule = "any"
    min_practitioners: int = 0
    local_only: bool = False
    min_credit: Decimal | None = None
    avoid: frozenset[str] = field(default_factory=frozenset)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, stored with a selection so that it can be re-run."""
        return {
            "kind": self.kind.value,
            "work_field": self.work_field,
            "service_type": self.service_type,
            "licences": [{"licence_type": r.licence_type, "min_grade": r.min_grade} for r in self.licences],
            "licence_rule": self.licence_rule,
            "min_practitioners": self.min_practitioners,
            "local_only": self.local_only,
            "min_credit": str(self.min_credit) if self.min_credit is not None else None,
            "avoid": sorted(self.avoid),
        }


class _Reader:
    """Reads one requirements mapping, collecting problems instead of stopping."""

    def __init__(self, vocabulary: Vocabulary, raw: Mapping[str, Any]) -> None:
        self.vocabulary = vocabulary
        self.raw = raw
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(name, message))

    def text(self, name: str) -> str:
        value = self.raw.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(name, f"{name} is text")
            return ""
        return value.strip()

    def items(self, name: str) -> list[Any]:
        value = self.raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(name, f"{name} is a list")
            return []
        return value

    def whole(self, name: str) -> int:
        value = self.raw.get(name)
        if value is None or value == "":
            return 0
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(name, f"{name} is a whole number, 0 or more")
            return 0
        try:
            number = int(value)
        except ValueError:
            number = -1
        if not 0 <= number <= 1_000_000:
            self.fail(name, f"{name} is a whole number, 0 or more")
            return 0
        return number

    def score(self, name: str) -> Decimal | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, float) and not math.isfinite(value):
            value = "not a number"
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            number = Decimal(str(value))
            if not (number.is_finite() and 0 <= number <= 100):
                raise InvalidOperation
        except InvalidOperation:
            self.fail(name, f"{name} is a score between 0 and 100")
            return None
        return number

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(name, f"{name} is true or false")
            return False
        return value

    def term(self, name: str, terms: Any) -> str | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return str(terms.resolve(value, field=name))
        except InvalidInput as exc:
            self.fail(name, exc.message)
            return None

    def licence(
        self, index: int, item: Any, kind: Registry | None, default_grade: str
    ) -> LicenceRequirement | None:
        name = f"licences[{index}]"
        if isinstance(item, str):
            item = {"licence_type": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("licence_type"), str):
            self.fail(name, "a licence requirement is a licence type, or {licence_type, min_grade}")
            return None
        try:
            licence_type = self.vocabulary.licence_type(item["licence_type"], field=name)
        except InvalidInput as exc:
            self.fail(name, exc.message)
            return None
        if kind is not None and licence_type.registry is not kind:
            self.fail(name, f"{licence_type.name} is not a licence of the {kind.value} registry")
        grade = item.get("min_grade")
        if grade is None or grade == "":
            # the requirement-wide minimum grade applies to the types that have grades
            grade = default_grade if licence_type.grades else ""
        if not isinstance(grade, str):
            self.fail(f"{name}.min_grade", "min_grade is text, e.g. 三级")
            return None
        grade = grade.strip()
        if not grade:
            return LicenceRequirement(licence_type.code)
        try:
            rank = licence_type.rank(grade)
        except InvalidInput as exc:
            self.fail(f"{name}.min_grade", exc.message)
            return None
        good_enough = tuple(g for g in licence_type.grades if licence_type.rank(g) >= rank)
        return LicenceRequirement(licence_type.code, grade, good_enough)


def requirements_from(vocabulary: Vocabulary, raw: Mapping[str, Any]) -> Requirements:
    """Check requirements given as plain data; raises :class:`InvalidRecord` listing every
    problem."""
    read = _Reader(vocabulary, raw)
    kind: Registry | None = None
    try:
        kind = Registry(read.text("kind"))
    except ValueError:
        read.fail("kind", "kind must be contractor (小额工程企业库) or intermediary (中介机构库)")
    work_field = read.term("work_field", vocabulary.work_fields)
    if work_field and kind is Registry.INTERMEDIARY:
        read.fail("work_field", "intermediaries are chosen by service type, not by field of work")
    service_type = read.term("service_type", vocabulary.service_types)
    if service_type and kind is Registry.CONTRACTOR:
        read.fail("service_type", "contractors are chosen by field of work, not by service type")
    rule = read.text("licence_rule") or "any"
    if rule not in ("any", "all"):
        read.fail("licence_rule", "licence_rule is 'any' (any one of the listed licences) or 'all'")
    default_grade = read.text("min_grade")
    listed = read.items("licences")
    licences = [
        licence
        for index, item in enumerate(listed)
        if (licence := read.licence(index, item, kind, default_grade)) is not None
    ]
    if default_grade and not listed:
        read.fail("min_grade", "a minimum grade needs the licence types it applies to")
    avoid: set[str] = set()
    for index, value in enumerate(read.items("avoid")):
        try:
            avoid.add(check_uscc(value if isinstance(value, str) else ""))
        except InvalidInput as exc:
            read.fail(f"avoid[{index}]", exc.message)
    min_practitioners = read.whole("min_practitioners")
    min_credit = read.score("min_credit")
    local_only = read.flag("local_only")
    if read.problems or kind is None:
        raise InvalidRecord(read.problems or [Problem("kind", "kind is required")])
    return Requirements(
        kind=kind,
        work_field=work_field,
        service_type=service_type,
        licences=tuple(licences),
        licence_rule="all" if rule == "all" else "any",
        min_practitioners=min_practitioners,
        local_only=local_only,
        min_credit=min_credit,
        avoid=frozenset(avoid),
    )
