"""The registries' controlled vocabularies and the region, read from data files.

They are data, not code, so that another city runs the engine by editing files in
``market/reference/`` (or pointing MARKET_REFERENCE_DIR at its own copy) and setting
MARKET_REGION. Inputs may use either a code or its Chinese name; codes are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from market.errors import ConfigurationError, InvalidInput
from market.models.registry import MisconductSeverity, Registry
from market.reference_files import BUNDLED_REFERENCE_DIR
from market.reference_files import read_reference_file as _read
from market.settings import Settings


@dataclass(frozen=True, slots=True)
class Term:
    """One entry of a controlled vocabulary."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class LicenceType:
    """A kind of 资质 with its grade ladder (best first; empty for 不分等级)."""

    code: str
    name: str
    registry: Registry
    grades: tuple[str, ...]
    covers: tuple[str, ...]

    def rank(self, grade: str) -> int:
        """Higher is better; 0 for an ungraded licence type. Raises on an unknown grade."""
        if not self.grades:
            if grade:
                raise InvalidInput(
                    f"{self.name} has no grades (不分等级); leave the grade empty", field="grade"
                )
            return 0
        try:
            return len(self.grades) - self.grades.index(grade.strip())
        except ValueError:
            raise InvalidInput(
                f"{grade!r} is not a grade of {self.name}; grades are: {', '.join(self.grades)}",
                field="grade",
                allowed=list(self.grades),
            ) from None


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """How the credit score is made up; see ``[credit]`` in registry.toml."""

    base: Decimal
    evaluation: Mapping[int, Decimal]
    on_time: Decimal
    late: Decimal
    misconduct: Mapping[MisconductSeverity, Decimal]
    severe_suspension_days: int


@dataclass(frozen=True, slots=True)
class Region:
    province: str
    city: str
    code: str
    divisions: tuple[Term, ...]


class _Terms:
    """A vocabulary that resolves codes or names to codes, with a helpful error."""

    def __init__(self, label: str, field: str, terms: Iterable[Term]) -> None:
        self.label = label
        self.field = field
        self.terms = tuple(terms)
        self._by_key = {t.code: t for t in self.terms} | {t.name: t for t in self.terms}

    def resolve(self, value: str, *, field: str | None = None) -> str:
        term = self._by_key.get(value.strip())
        if term is None:
            allowed = [f"{t.code} ({t.name})" for t in self.terms]
            raise InvalidInput(
                f"{value!r} is not a known {self.label}; allowed: {', '.join(allowed)}",
                field=field or self.field,
                allowed=[t.code for t in self.terms],
            )
        return term.code

    def name(self, code: str) -> str:
        term = self._by_key.get(code)
        return term.name if term else code

    def __contains__(self, code: object) -> bool:
        return code in self._by_key


@dataclass(frozen=True)
class Vocabulary:
    """Everything the registries validate against."""

    region: Region
    work_fields: _Terms
    service_types: _Terms
    divisions: _Terms
    licence_types: Mapping[str, LicenceType]
    credit: CreditPolicy

    def licence_type(self, value: str, *, field: str = "licence_type") -> LicenceType:
        value = value.strip()
        found = self.licence_types.get(value) or next(
            (t for t in self.licence_types.values() if t.name == value), None
        )
        if found is None:
            raise InvalidInput(
                f"{value!r} is not a known licence type (资质类别)",
                field=field,
                allowed=list(self.licence_types),
            )
        return found

    def licence_name(self, code: str) -> str:
        """The Chinese name of a licence type; the code itself if the type is no longer listed."""
        known = self.licence_types.get(code)
        return known.name if known else code


def vocabulary_of(settings: Settings) -> Vocabulary:
    """The vocabulary a deployment is configured with (MARKET_REFERENCE_DIR, MARKET_REGION)."""
    return load_vocabulary(settings.reference_dir or BUNDLED_REFERENCE_DIR, settings.region)


def _terms(raw: Any) -> list[Term]:
    return [Term(str(item["code"]), str(item["name"])) for item in raw or []]


@cache
def load_vocabulary(reference_dir: Path = BUNDLED_REFERENCE_DIR, region: str = "shaoguan") -> Vocabulary:
    """Read ``registry.toml`` and ``<region>.toml`` from ``reference_dir`` (cached)."""
    data = _read(reference_dir / "registry.toml")
    place = _read(reference_dir / f"{region}.toml")
    try:
        divisions = _terms(place["division"])
        region_info = Region(str(place["province"]), str(place["city"]), str(place["code"]), tuple(divisions))
        work_fields = _terms(data["work_field"])
        service_types = _terms(data["service_type"])
        licence_types = {
            str(item["code"]): LicenceType(
                code=str(item["code"]),
                name=str(item["name"]),
                registry=Registry(item["registry"]),
                grades=tuple(item.get("grades", ())),
                covers=tuple(item.get("covers", ())),
            )
            for item in data["licence_type"]
        }
        credit = data["credit"]
        policy = CreditPolicy(
            base=Decimal(credit["base"]),
            evaluation={int(k): Decimal(v) for k, v in credit["evaluation"].items()},
            on_time=Decimal(credit["on_time"]),
            late=Decimal(credit["late"]),
            misconduct={MisconductSeverity(k): Decimal(v) for k, v in credit["misconduct"].items()},
            severe_suspension_days=int(data["suspension"]["severe_misconduct_days"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"reference data in {reference_dir} is wrong: {exc!r}") from None
    known = {t.code for t in work_fields} | {t.code for t in service_types}
    for licence in licence_types.values():
        unknown = set(licence.covers) - known
        if unknown:
            raise ConfigurationError(f"licence type {licence.code} covers unknown {sorted(unknown)}")
    return Vocabulary(
        region=region_info,
        work_fields=_Terms("field of work (工程领域)", "work_fields", work_fields),
        service_types=_Terms("service type (服务类型)", "service_types", service_types),
        divisions=_Terms(f"division of {region_info.city}", "division", divisions),
        licence_types=licence_types,
        credit=policy,
    )
