"""What a firm tells the registry, checked: the inputs of applications, profile edits,
bulk imports and the demo pool all pass through :func:`firm_input`.

Checking collects every problem of a record rather than stopping at the first, so an
applicant (or an import row) learns everything that is wrong at once. Each problem names
its field the way the caller wrote it (``licences[1].valid_until``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import contracts.uscc
from market.errors import InvalidInput
from market.models.registry import Registry
from market.problems import Problem as Problem
from market.problems import ProblemsFound
from market.registry import limits
from market.registry.vocabulary import Vocabulary

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_CONTRACT_VALUE = Decimal("999999999999.99")
T = TypeVar("T")

# The firm row's own profile columns, and with the organisation's name and address the
# whole profile a firm edits; the array columns hold vocabulary codes.
FIRM_COLUMNS = (
    "legal_representative",
    "division_code",
    "contact_name",
    "contact_phone",
    "contact_email",
    "introduction",
    "work_fields",
    "service_types",
    "practitioners",
    "service_area",
)
PROFILE_FIELDS = ("name", "address", *FIRM_COLUMNS)
ARRAY_COLUMNS = frozenset({"work_fields", "service_types", "service_area"})


def fields_of(source: Any, names: Sequence[str]) -> dict[str, Any]:
    """The named profile fields of a checked record or a stored firm, arrays as lists."""
    return {
        name: list(getattr(source, name)) if name in ARRAY_COLUMNS else getattr(source, name)
        for name in names
    }


class InvalidRecord(ProblemsFound):
    """One or more fields of a firm's record are wrong; ``problems`` lists them all."""


@dataclass(frozen=True, slots=True)
class LicenceInput:
    licence_type: str
    grade: str
    number: str
    issuer: str
    valid_until: date
    issued_on: date | None = None
    e_licence_ref: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "licence_type": self.licence_type,
            "grade": self.grade,
            "number": self.number,
            "issuer": self.issuer,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "valid_until": self.valid_until.isoformat(),
            "e_licence_ref": self.e_licence_ref,
        }


@dataclass(frozen=True, slots=True)
class TrackRecordInput:
    project: str
    owner_name: str
    contract_value: Decimal
    completed_on: date
    field_code: str


@dataclass(frozen=True, slots=True)
class FirmInput:
    """A firm's registry record, valid against the vocabulary."""

    kind: Registry
    uscc: str
    name: str
    legal_representative: str
    address: str
    division_code: str | None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    introduction: str = ""
    work_fields: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    practitioners: int = 0
    service_area: tuple[str, ...] = ()
    licences: tuple[LicenceInput, ...] = ()
    track_records: tuple[TrackRecordInput, ...] = field(default=())

    def profile(self) -> dict[str, Any]:
        """The firm's own fields (no licences or track records), as stored."""
        return fields_of(self, PROFILE_FIELDS)


def check_uscc(value: Any, field: str = "uscc") -> str:
    """A valid 统一社会信用代码 in its one stored form; InvalidInput says what is wrong.

    market's only adapter of :func:`contracts.uscc.normalise` (the platform's one check):
    organisations, firms, import rows and requirements all come through here."""
    try:
        return contracts.uscc.normalise(value)
    except contracts.uscc.InvalidUscc as exc:
        raise InvalidInput(str(exc), field=field) from None


def parse_date(value: Any, field: str) -> date:
    """Dates arrive as ``date``, ``datetime`` (spreadsheets) or text: 2027-05-01,
    2027/5/1 or 2027年5月1日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise InvalidInput(f"{text!r} is not a date; write it as YYYY-MM-DD", field=field)


def parse_amount(value: Any, field: str) -> Decimal:
    """Money in yuan with at most two decimal places, never negative."""
    if isinstance(value, float):
        value = repr(value)  # spreadsheets hand over floats; their repr is the typed number
    text = str(value if value is not None else "").strip().replace(",", "").removesuffix("元")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{text!r} is not an amount in yuan", field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_CONTRACT_VALUE:
        raise InvalidInput(f"{text} is not an amount between 0 and {MAX_CONTRACT_VALUE} yuan", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{text} has more than two decimal places (分)", field=field)
    return amount.quantize(Decimal("0.01"))


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;；,，、|]", value) if part.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()]


class _Checker:
    """Runs checks, keeping each problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            self.problems.append(Problem(exc.field or "?", exc.message))
            return None

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def mappings(self, raw: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        """A list of objects (licences, track records); anything else is a problem."""
        value = raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list | tuple) or not all(isinstance(item, Mapping) for item in value):
            self.add(name, f"{name} is a list of objects")
            return []
        return list(value)

    def required(self, raw: Mapping[str, Any], name: str, prefix: str, what: str, limit: int) -> str:
        """A required text of a licence or track record, at most ``limit`` characters."""
        value = str(raw.get(name) or "").strip()
        if not value:
            self.add(prefix + name, f"{what} is required")
        elif len(value) > limit:
            self.add(prefix + name, f"{what.partition(' (')[0]} is longer than {limit} characters")
        return value

    def text(self, raw: Mapping[str, Any], name: str, *, required: bool) -> str:
        given = raw.get(name)
        if given is not None and not isinstance(given, str | int):
            self.add(name, f"{name} is text")
            return ""
        value = str(given if given is not None else "").strip()
        if required and not value:
            self.add(name, f"{name} is required")
        elif len(value) > limits.FIRM_TEXT[name]:
            self.add(name, f"{name} is longer than {limits.FIRM_TEXT[name]} characters")
        return value


def _checked(part: Callable[[_Checker], T | None]) -> T:
    """Run one part of a record's checks on its own, raising what it found."""
    check = _Checker()
    result = part(check)
    if check.problems or result is None:
        raise InvalidRecord(check.problems)
    return result


def licence_input(
    vocabulary: Vocabulary, kind: Registry, raw: Mapping[str, Any], prefix: str = ""
) -> LicenceInput:
    """Check one licence; raises :class:`InvalidRecord` listing every problem."""
    return _checked(lambda check: _licence(check, vocabulary, kind, raw, prefix))


def _licence(
    check: _Checker, vocabulary: Vocabulary, kind: Registry, raw: Mapping[str, Any], prefix: str
) -> LicenceInput | None:
    licence_type = check.run(
        vocabulary.licence_type, str(raw.get("licence_type") or ""), field=prefix + "licence_type"
    )
    if licence_type is not None and licence_type.registry != kind:
        check.add(
            prefix + "licence_type",
            f"{licence_type.name} is a licence of the {licence_type.registry.value} registry, "
            f"not of the {kind.value} registry",
        )
    grade = str(raw.get("grade") or "").strip()
    rank = None
    if licence_type is not None:
        rank = check.run(_rank, licence_type, grade, prefix + "grade")
    number = check.required(raw, "number", prefix, "the certificate number (证书编号)", limits.LICENCE_NUMBER)
    issuer = check.required(raw, "issuer", prefix, "the issuing authority (发证机关)", limits.LICENCE_ISSUER)
    issued_on = None
    if raw.get("issued_on") not in (None, ""):
        issued_on = check.run(parse_date, raw.get("issued_on"), prefix + "issued_on")
    valid_until = check.run(parse_date, raw.get("valid_until"), prefix + "valid_until")
    if issued_on is not None and valid_until is not None and valid_until < issued_on:
        check.add(
            prefix + "valid_until",
            f"valid-until {valid_until.isoformat()} is before the issue date {issued_on.isoformat()}",
        )
    reference = str(raw.get("e_licence_ref") or "").strip() or None
    if reference is not None and len(reference) > limits.E_LICENCE_REF:
        check.add(
            prefix + "e_licence_ref",
            f"the e-licence reference is longer than {limits.E_LICENCE_REF} characters",
        )
    if licence_type is None or rank is None or valid_until is None or check.problems:
        return None
    return LicenceInput(
        licence_type=licence_type.code,
        grade=grade,
        number=number,
        issuer=issuer,
        issued_on=issued_on,
        valid_until=valid_until,
        e_licence_ref=reference,
    )


def _rank(licence_type: Any, grade: str, field: str) -> int:
    try:
        return int(licence_type.rank(grade))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def _codes(check: _Checker, terms: Any, values: list[str], field: str) -> tuple[str, ...]:
    codes: list[str] = []
    for value in values:
        code = check.run(terms.resolve, value, field=field)
        if code is not None and code not in codes:
            codes.append(code)
    return tuple(codes)


def firm_input(vocabulary: Vocabulary, raw: Mapping[str, Any], *, kind: Registry | None = None) -> FirmInput:
    """Check a firm's whole record. ``raw`` uses the field names of :class:`FirmInput`;
    lists may be given as lists or as text separated by ``;`` ``,`` or ``、``."""
    check = _Checker()
    if kind is None:
        kind = check.run(parse_registry, raw.get("kind"))
    uscc = check.run(check_uscc, raw.get("uscc"))
    name = check.text(raw, "name", required=True)
    legal = check.text(raw, "legal_representative", required=True)
    address = check.text(raw, "address", required=True)
    contact_name = check.text(raw, "contact_name", required=False)
    phone = check.text(raw, "contact_phone", required=False)
    if phone and not PHONE.match(phone):
        check.add("contact_phone", f"{phone!r} is not a telephone number")
    email = check.text(raw, "contact_email", required=False)
    if email and not EMAIL.match(email):
        check.add("contact_email", f"{email!r} is not an e-mail address")
    introduction = check.text(raw, "introduction", required=False)
    division_raw = str(raw.get("division_code") or "").strip()
    division = (
        check.run(vocabulary.divisions.resolve, division_raw, field="division_code") if division_raw else None
    )
    work_fields = _codes(check, vocabulary.work_fields, _list(raw.get("work_fields")), "work_fields")
    service_types = _codes(check, vocabulary.service_types, _list(raw.get("service_types")), "service_types")
    area = _codes(check, vocabulary.divisions, _list(raw.get("service_area")), "service_area")
    practitioners = 0
    if raw.get("practitioners") not in (None, ""):
        try:
            practitioners = int(str(raw.get("practitioners")).strip().removesuffix(".0"))
            if practitioners < 0 or practitioners > 100000:
                raise ValueError
        except ValueError:
            check.add("practitioners", f"{raw.get('practitioners')!r} is not a number of people (0–100000)")
    if kind is Registry.CONTRACTOR:
        if not work_fields and not any(p.field == "work_fields" for p in check.problems):
            check.add("work_fields", "a contractor needs at least one field of work (工程领域)")
        if service_types:
            check.add(
                "service_types", "service types are for intermediaries; a contractor has fields of work"
            )
    elif kind is Registry.INTERMEDIARY:
        if not service_types and not any(p.field == "service_types" for p in check.problems):
            check.add("service_types", "an intermediary needs at least one service type (服务类型)")
        if work_fields:
            check.add("work_fields", "fields of work are for contractors; an intermediary has service types")
    licences: list[LicenceInput] = []
    if kind is not None:
        for index, item in enumerate(check.mappings(raw, "licences")):
            licence = _licence(check, vocabulary, kind, item, f"licences[{index}].")
            if licence is not None:
                licences.append(licence)
        seen: set[tuple[str, str]] = set()
        for index, licence in enumerate(licences):
            key = (licence.licence_type, licence.number)
            if key in seen:
                check.add(f"licences[{index}].number", f"certificate {licence.number} is listed twice")
            seen.add(key)
    records = [
        _track_record(check, vocabulary, kind, item, f"track_records[{index}].")
        for index, item in enumerate(check.mappings(raw, "track_records"))
    ]
    if check.problems or kind is None or uscc is None:
        raise InvalidRecord(check.problems or [Problem("kind", "the registry is required")])
    return FirmInput(
        kind=kind,
        uscc=uscc,
        name=name,
        legal_representative=legal,
        address=address,
        division_code=division,
        contact_name=contact_name,
        contact_phone=phone,
        contact_email=email,
        introduction=introduction,
        work_fields=work_fields,
        service_types=service_types,
        practitioners=practitioners,
        service_area=area,
        licences=tuple(licences),
        track_records=tuple(r for r in records if r is not None),
    )


def parse_registry(value: Any) -> Registry:
    text = str(value or "").strip()
    aliases = {registry.label: registry for registry in Registry} | {
        "施工企业": Registry.CONTRACTOR,
        "中介机构": Registry.INTERMEDIARY,
        "中介超市": Registry.INTERMEDIARY,
    }
    if text in aliases:
        return aliases[text]
    try:
        return Registry(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a registry; use contractor (小额工程企业库) or intermediary (中介机构库)",
            field="kind",
            allowed=[r.value for r in Registry],
        ) from None


def track_record_input(
    vocabulary: Vocabulary, kind: Registry, raw: Mapping[str, Any], prefix: str = ""
) -> TrackRecordInput:
    """Check one track record (业绩); raises :class:`InvalidRecord`."""
    return _checked(lambda check: _track_record(check, vocabulary, kind, raw, prefix))


def _track_record(
    check: _Checker, vocabulary: Vocabulary, kind: Registry | None, raw: Mapping[str, Any], prefix: str
) -> TrackRecordInput | None:
    before = len(check.problems)
    project = str(raw.get("project") or "").strip()
    if not project or len(project) > limits.PROJECT:
        check.add(prefix + "project", f"the project name is required (at most {limits.PROJECT} characters)")
    owner = str(raw.get("owner_name") or "").strip()
    if not owner or len(owner) > limits.OWNER_NAME:
        check.add(
            prefix + "owner_name",
            f"the project owner (建设单位) is required (at most {limits.OWNER_NAME} characters)",
        )
    value = check.run(parse_amount, raw.get("contract_value"), prefix + "contract_value")
    completed = check.run(parse_date, raw.get("completed_on"), prefix + "completed_on")
    terms = vocabulary.work_fields if kind is Registry.CONTRACTOR else vocabulary.service_types
    field_code = check.run(terms.resolve, str(raw.get("field_code") or ""), field=prefix + "field_code")
    if len(check.problems) > before or value is None or completed is None or field_code is None:
        return None
    return TrackRecordInput(project, owner, value, completed, field_code)
