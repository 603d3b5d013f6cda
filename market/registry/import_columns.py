"""The columns of a registry import file: which headers are accepted (Chinese or English,
defined here as data) and which column of a given file holds what."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from market.errors import InvalidInput
from market.registry.sheets import Table, cell_text

# Each field's accepted headers: Chinese (what the template uses), then English, then any
# older English name still read (files written before the field was renamed).
FIELD_HEADERS: Mapping[str, tuple[str, ...]] = {
    "kind": ("库别", "kind"),
    "uscc": ("统一社会信用代码", "uscc"),
    "name": ("企业名称", "name"),
    "legal_representative": ("法定代表人", "legal_representative"),
    "address": ("注册地址", "address"),
    "division_code": ("注册地", "division_code", "division"),
    "contact_name": ("联系人", "contact_name"),
    "contact_phone": ("联系电话", "contact_phone"),
    "contact_email": ("电子邮箱", "contact_email"),
    "introduction": ("企业简介", "introduction"),
    "work_fields": ("工程领域", "work_fields"),
    "service_types": ("服务类型", "service_types"),
    "practitioners": ("执业人员数", "practitioners"),
    "service_area": ("服务区域", "service_area"),
}
# The parts of licence group N, any number of groups: 资质N类别 … or licenceN_type …
LICENCE_PARTS: Mapping[str, tuple[str, str]] = {
    "licence_type": ("类别", "type"),
    "grade": ("等级", "grade"),
    "number": ("证书编号", "number"),
    "issuer": ("发证机关", "issuer"),
    "issued_on": ("发证日期", "issued_on"),
    "valid_until": ("有效期至", "valid_until"),
    "e_licence_ref": ("电子证照", "e_licence_ref"),
}
REQUIRED_FIELDS = ("uscc", "name", "legal_representative", "address")
REASON_HEADER = "错误原因"  # added to the rejects file; ignored when that file comes back fixed
_LICENCE_HEADER = re.compile(r"^(?:资质(\d+)(.+)|licence(\d+)_(.+))$")
_PROBLEM_FIELD = re.compile(r"^licences\[(\d+)\]\.(\w+)$")


def _key(header: str) -> str:
    # What is compared: no spaces (incl. full-width), no required-marker star, lower case.
    return re.sub(r"[\s\u3000]+", "", header).rstrip("*＊").lower()


_FIELD_BY_KEY = {_key(alias): name for name, aliases in FIELD_HEADERS.items() for alias in aliases}
_PART_BY_KEY = {_key(alias): part for part, aliases in LICENCE_PARTS.items() for alias in aliases}


def accepted_headers() -> list[str]:
    """Every header the importer understands, for error messages and the documentation."""
    names = [f"{zh}/{en}" for zh, en, *_older in FIELD_HEADERS.values()]
    return names + [f"资质N{zh}/licenceN_{en}" for zh, en in LICENCE_PARTS.values()]


@dataclass(frozen=True)
class Layout:
    """Which column holds what. ``headers`` maps a field (or ``licences[N].part``) to the
    header as the file wrote it, so that problems name the column the user sees."""

    fields: Mapping[str, int]
    licences: Mapping[int, Mapping[str, int]]
    headers: Mapping[str, str]
    chinese: bool
    reason_column: int | None

    def header(self, problem_field: str, groups: Sequence[int]) -> str:
        match = _PROBLEM_FIELD.match(problem_field)
        if match is None:
            return self.headers.get(
                problem_field, FIELD_HEADERS.get(problem_field, ("", ""))[0] or problem_field
            )
        index, part = int(match[1]), match[2]
        group = groups[index] if index < len(groups) else index + 1
        zh, en = LICENCE_PARTS.get(part, (part, part))
        default = f"资质{group}{zh}" if self.chinese else f"licence{group}_{en}"
        return self.headers.get(f"licences[{group}].{part}", default)


def layout_of(table: Table, *, kind_given: bool) -> Layout:
    """Map the header row; raises :class:`InvalidInput` naming unknown, repeated or missing
    columns (listing the accepted ones), or a missing registry."""
    fields: dict[str, int] = {}
    licences: dict[int, dict[str, int]] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    twice: list[str] = []
    reason_column = None
    for index, header in enumerate(table.headers):
        key = _key(header)
        if not key:
            if any(index < len(cells) and cell_text(cells[index]) for _, cells in table.rows):
                unknown.append(f"(column {index + 1} has values but no header)")
            continue
        if key == REASON_HEADER:
            reason_column = index
            continue
        name = _FIELD_BY_KEY.get(key)
        licence = _LICENCE_HEADER.match(key)
        part = _PART_BY_KEY.get(licence[2] or licence[4]) if licence else None
        if name is not None:
            slot, target, column = name, fields, name
        elif licence is not None and part is not None:
            group = int(licence[1] or licence[3])
            slot, target, column = f"licences[{group}].{part}", licences.setdefault(group, {}), part
        else:
            unknown.append(header)
            continue
        if slot in headers:
            twice.append(header)
            continue
        target[column] = index
        headers[slot] = header
    if unknown:
        raise InvalidInput(
            f"unknown column headers: {', '.join(unknown)}; the accepted headers are "
            f"{', '.join(accepted_headers())}",
            field="file",
            unknown=unknown,
            accepted=accepted_headers(),
        )
    if twice:
        raise InvalidInput(f"these columns appear twice: {', '.join(twice)}", field="file", duplicated=twice)
    missing = [f"{FIELD_HEADERS[name][0]}/{name}" for name in REQUIRED_FIELDS if name not in fields]
    if missing:
        raise InvalidInput(f"the file lacks the columns {', '.join(missing)}", field="file", missing=missing)
    if "kind" not in fields and not kind_given:
        raise InvalidInput(
            "the file has no 库别/kind column; say which registry it is for "
            "(--kind contractor or intermediary; kind in the API)",
            field="kind",
        )
    chinese = not headers["uscc"].isascii()
    return Layout(fields, {g: licences[g] for g in sorted(licences)}, headers, chinese, reason_column)
