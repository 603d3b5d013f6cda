"""Registry import files (``market registry import`` and ``POST /api/registry/imports``):
a CSV or XLSX sheet, one firm per row, headers in Chinese or English.

Every row is checked and every bad row reported with its line and why before anything is
written; then either all rows are imported in one transaction, or — with
``skip_invalid`` — the good ones, the rejects going to a CSV the user can fix and import
again (its 错误原因 column is ignored on the way back in). Re-importing a USCC updates the
firm instead of adding a second one. The format is described in ``docs/registry-import.md``.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from market.audit import Actor
from market.db import Database, UnitOfWork
from market.errors import InvalidInput
from market.models import FirmStatus, Registry
from market.registry.bulk import registry_conflicts, upsert_firms
from market.registry.import_columns import REASON_HEADER, Layout, layout_of
from market.registry.records import FirmInput, InvalidRecord, Problem, check_uscc, firm_input, parse_registry
from market.registry.sheets import Table, cell_text, read_table
from market.registry.vocabulary import Vocabulary, load_vocabulary
from market.text import unsafe_character

ProgressCallback = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phase is ``reading``, ``checking`` or ``writing``."""


# -- the report -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: its line in the file (the header is line 1), its
    USCC as written (if any), every problem (named by column header) and its cells."""

    line: int
    uscc: str | None
    problems: tuple[Problem, ...]
    cells: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "uscc": self.uscc, "problems": [p.as_dict() for p in self.problems]}


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``rows`` counts the data rows of the file."""

    filename: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    rejects_path: Path | None = None
    firm_ids: dict[str, int] = field(default_factory=dict)

    @property
    def imported(self) -> bool:
        """Whether any row was written."""
        return self.created + self.updated + self.unchanged > 0


class ImportRejected(InvalidInput):
    """Rows were invalid and ``skip_invalid`` was not given, so nothing was imported;
    ``report.rejected`` (and the ``rows`` detail) list every bad row."""

    def __init__(self, report: ImportReport) -> None:
        first = report.rejected[0]
        super().__init__(
            f"{len(report.rejected)} of {report.rows} rows of {report.filename} are invalid, so "
            f"nothing was imported; line {first.line}: {first.reason}",
            field="file",
            rows=[row.as_dict() for row in report.rejected],
            rejected=len(report.rejected),
            total=report.rows,
        )
        self.report = report


# -- checking ---------------------------------------------------------------------------------
def _value(cells: Sequence[Any], index: int) -> Any:
    value = cells[index] if index < len(cells) else None
    if isinstance(value, datetime | date):
        return value  # parse_date takes them as they are
    return cell_text(value)  # numbers as typed: 12, not 12.0; phone numbers without exponent


def _check_row(
    vocabulary: Vocabulary, layout: Layout, cells: Sequence[Any], kind: Registry | None
) -> tuple[FirmInput | None, list[Problem]]:
    """Check one row: its record when good, else every problem named by column header."""
    raw: dict[str, Any] = {name: _value(cells, index) for name, index in layout.fields.items()}
    licences, groups = [], []
    for group, parts in layout.licences.items():
        item = {part: _value(cells, index) for part, index in parts.items()}
        if any(value not in (None, "") for value in item.values()):
            licences.append(item)
            groups.append(group)
    raw["licences"] = licences
    problems: list[Problem] = _character_problems(raw)
    row_kind = kind
    written_kind = str(raw.pop("kind", "") or "")
    if written_kind:
        try:
            row_kind = parse_registry(written_kind)
        except InvalidInput as exc:
            problems.append(Problem("kind", exc.message))
            row_kind = None
        if row_kind is not None and kind is not None and row_kind is not kind:
            problems.append(
                Problem(
                    "kind", f"this row is for the {row_kind.value} registry; the import is for {kind.value}"
                )
            )
    elif kind is None:
        problems.append(Problem("kind", "the registry is empty; write contractor or intermediary"))
    record = None
    try:
        record = firm_input(vocabulary, raw, kind=row_kind)
    except InvalidRecord as exc:
        # without a registry firm_input adds its own "kind" problem; ours says it better
        problems.extend(p for p in exc.problems if not (row_kind is None and p.field == "kind"))
    uscc_index = layout.fields["uscc"]
    if uscc_index < len(cells) and isinstance(cells[uscc_index], int | float):
        # Excel keeps 15 significant digits: an 18-digit code typed as a number is damaged.
        problems = [
            Problem(
                p.field,
                p.message + "; the cell holds a number, which loses digits in a spreadsheet: "
                "format the column as text (文本) and type the code again",
            )
            if p.field == "uscc"
            else p
            for p in problems
        ]
    named = [Problem(layout.header(p.field, groups), p.message) for p in problems]
    return (None if named else record), named


def _character_problems(raw: dict[str, Any]) -> list[Problem]:
    """A NUL or a bidirectional control in any cell (:mod:`market.text`), named by field."""
    cells = [(name, value) for name, value in raw.items() if name != "licences"]
    for index, item in enumerate(raw["licences"]):
        cells += [(f"licences[{index}].{part}", value) for part, value in item.items()]
    problems = []
    for name, value in cells:
        unsafe = unsafe_character(value) if isinstance(value, str) else None
        if unsafe is not None:
            problems.append(Problem(name, unsafe[1]))
    return problems


def _valid_uscc(value: str) -> str | None:
    try:
        return check_uscc(value)
    except InvalidInput:
        return None


@dataclass(frozen=True)
class CheckedFile:
    """A file read and checked: good records with their line, bad rows, and the layout
    needed to report more problems and to write the rejects file."""

    table: Table
    layout: Layout
    good: list[tuple[int, FirmInput]]
    bad: list[RejectedRow]


def check_file(
    data: bytes,
    filename: str,
    vocabulary: Vocabulary,
    *,
    kind: Registry | None,
    progress: ProgressCallback | None = None,
) -> CheckedFile:
    """Read and check every row; a USCC on two rows makes the later row bad, naming both
    lines. Raises :class:`InvalidInput` for what spoils the whole file (unreadable,
    empty, unknown or missing columns)."""
    if progress is not None:
        progress("reading", 0, 0)
    table = read_table(data, filename)
    layout = layout_of(table, kind_given=kind is not None)
    good: list[tuple[int, FirmInput]] = []
    bad: list[RejectedRow] = []
    first_line: dict[str, int] = {}
    total = len(table.rows)
    for done, (line, cells) in enumerate(table.rows, start=1):
        record, problems = _check_row(vocabulary, layout, cells, kind)
        written = _value(cells, layout.fields["uscc"])
        uscc = record.uscc if record is not None else _valid_uscc(str(written))
        if uscc is not None:
            if uscc in first_line:
                earlier = first_line[uscc]
                problems.append(
                    Problem(
                        layout.headers["uscc"],
                        f"{uscc} is on lines {earlier} and {line}; each firm takes one row only",
                    )
                )
                record = None
            else:
                first_line[uscc] = line
        if record is not None:
            good.append((line, record))
        else:
            text = str(written).strip().upper() or None
            bad.append(RejectedRow(line, text, tuple(problems), tuple(cell_text(c) for c in cells)))
        if progress is not None and (done % 500 == 0 or done == total):
            progress("checking", done, total)
    return CheckedFile(table, layout, good, bad)


def write_rejects(path: Path, checked: CheckedFile, rejected: Sequence[RejectedRow]) -> None:
    """The rejected rows with their original columns plus 错误原因, as UTF-8 CSV with a
    BOM (so that Excel shows the Chinese); fixed, the file can be imported again."""
    keep = [i for i in range(len(checked.table.headers)) if i != checked.layout.reason_column]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([checked.table.headers[i] for i in keep] + [REASON_HEADER])
        for row in rejected:
            writer.writerow([row.cells[i] if i < len(row.cells) else "" for i in keep] + [row.reason])


# -- importing --------------------------------------------------------------------------------
async def import_file(
    target: Database | UnitOfWork,
    source: Path | bytes,
    filename: str | None = None,
    *,
    actor: Actor,
    now: datetime,
    kind: Registry | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    status: FirmStatus = FirmStatus.ADMITTED,
    vocabulary: Vocabulary | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import a registry file (a path, or the bytes of an upload named ``filename``).

    ``kind`` is the registry of rows without a 库别 column (a row naming another registry
    is bad). When any row is bad and ``skip_invalid`` is false, nothing is written and
    :class:`ImportRejected` lists every bad row; with ``skip_invalid`` the good rows are
    imported and, if ``rejects_path`` is given, the bad ones written there
    (:func:`write_rejects`). A USCC already held by an owner or by the other registry
    makes its row bad too.

    Given a :class:`Database`, the import runs in its own transaction and commits; given
    a :class:`UnitOfWork`, it writes in that one and the caller commits.
    """
    if isinstance(source, Path):
        filename = filename or source.name
        data = await asyncio.to_thread(source.read_bytes)
    else:
        filename, data = filename or "upload", source
    vocabulary = vocabulary or load_vocabulary()
    # Checking is CPU work (~0.1 ms a row): off the event loop, so a server keeps answering.
    checked = await asyncio.to_thread(check_file, data, filename, vocabulary, kind=kind, progress=progress)
    if isinstance(target, UnitOfWork):
        report = await _import(
            target, checked, filename, actor, now, skip_invalid, status, vocabulary, progress
        )
    else:
        async with target.unit_of_work() as uow:
            report = await _import(
                uow, checked, filename, actor, now, skip_invalid, status, vocabulary, progress
            )
            await uow.commit()
    if rejects_path is not None and skip_invalid and report.rejected:
        await asyncio.to_thread(write_rejects, rejects_path, checked, report.rejected)
        report.rejects_path = rejects_path
    return report


async def _import(
    uow: UnitOfWork,
    checked: CheckedFile,
    filename: str,
    actor: Actor,
    now: datetime,
    skip_invalid: bool,
    status: FirmStatus,
    vocabulary: Vocabulary,
    progress: ProgressCallback | None,
) -> ImportReport:
    good = list(checked.good)
    rejected = list(checked.bad)
    if good:
        conflicts = await registry_conflicts(uow, [record for _, record in good])
        if conflicts:
            cells = {line: cells for line, cells in checked.table.rows}
            for line, record in good:
                if record.uscc in conflicts:
                    problem = Problem(checked.layout.headers["uscc"], conflicts[record.uscc].message)
                    rejected.append(
                        RejectedRow(line, record.uscc, (problem,), tuple(cell_text(c) for c in cells[line]))
                    )
            good = [(line, record) for line, record in good if record.uscc not in conflicts]
    rejected.sort(key=lambda row: row.line)
    report = ImportReport(filename, len(checked.table.rows), rejected=rejected)
    if rejected and not skip_invalid:
        raise ImportRejected(report)
    if not good:
        return report
    total = len(good)
    result = await upsert_firms(
        uow,
        actor,
        [record for _, record in good],
        now=now,
        vocabulary=vocabulary,
        status=status,
        progress=(lambda done: progress("writing", done, total)) if progress is not None else None,
        source={
            "file": filename,
            "rows": report.rows,
            "rejected": len(rejected),
            "rejected_lines": [row.line for row in rejected],
        },
    )
    report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged
    report.firm_ids = result.firm_ids
    return report
