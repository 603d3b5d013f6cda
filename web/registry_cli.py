"""``market registry …``: the registries from the command line (企业库 / 中介机构库)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from market.models import FirmStatus, Registry
from market.settings import Settings
from web.cli_errors import friendly_errors

if TYPE_CHECKING:
    from market.registry.importing import ImportReport

PHASES = {"reading": "读取文件 reading", "checking": "校验 checking", "writing": "写入 writing"}


@click.group("registry")
def registry() -> None:
    """The contractor pool and the intermediary registry (企业库 / 中介机构库)."""


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice([r.value for r in Registry]),
    default=None,
    help="Registry of the rows when the file has no 库别/kind column.",
)
@click.option("--skip-invalid", is_flag=True, help="Import the good rows; write the bad ones to --rejects.")
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Where --skip-invalid writes the bad rows (default: FILE's name + .rejects.csv).",
)
@click.option(
    "--status",
    type=click.Choice([FirmStatus.ADMITTED.value, FirmStatus.APPLIED.value]),
    default=FirmStatus.ADMITTED.value,
    show_default=True,
    help="Status of newly created firms; existing firms keep theirs.",
)
@friendly_errors
def import_command(
    file: Path, kind: str | None, skip_invalid: bool, rejects_path: Path | None, status: str
) -> None:
    """Import firms from FILE (.csv or .xlsx, one firm per row; see docs/registry-import.md).

    Every row is checked first. Unless --skip-invalid is given, one bad row means nothing is
    imported, and every bad row is listed with its line and reason (exit status 1). A USCC
    already registered is updated, not added again.
    """
    from market import audit
    from market.audit import Actor
    from market.clock import SystemClock
    from market.db import Database
    from market.registry.importing import ImportRejected, import_file
    from market.registry.vocabulary import vocabulary_of
    from market.runtime import reachable_database, run_with_database

    if skip_invalid and rejects_path is None:
        rejects_path = file.with_name(file.name + ".rejects.csv")
    # soft_wrap: a long reason stays on one line, so that it can be grepped or copied
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    settings = Settings.from_env()
    vocabulary = vocabulary_of(settings)
    with reachable_database(settings) as ready:
        assert ready.database_url
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,  # no bar (nor its blank line) in logs and pipes
        )
        tasks: dict[str, TaskID] = {}

        def show(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(PHASES.get(phase, phase), total=total or None)
            progress.update(tasks[phase], completed=done, total=total or None)

        async def run(database: Database) -> ImportReport:
            report = await import_file(
                database,
                file,
                actor=Actor.system("cli"),
                now=SystemClock().now(),
                kind=Registry(kind) if kind else None,
                skip_invalid=skip_invalid,
                rejects_path=rejects_path,
                status=FirmStatus(status),
                progress=show,
                vocabulary=vocabulary,
            )
            await audit.seal_pending(database)
            return report

        try:
            with progress:
                report = run_with_database(ready.database_url, run)
        except ImportRejected as rejected:
            _print_rejected(err, rejected.report)
            err.print(
                f"[red]market: nothing was imported: {len(rejected.report.rejected)} of "
                f"{rejected.report.rows} rows are invalid[/red] (fix them, or import the good rows "
                "with --skip-invalid)"
            )
            sys.exit(1)
    click.echo(
        f"market: {report.filename}: {report.rows} rows; created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}, rejected {len(report.rejected)}"
    )
    if report.rejected:
        _print_rejected(err, report)
        if report.rejects_path is not None:
            err.print(
                f"market: rejected rows written to {report.rejects_path} (with a 错误原因 column)",
                markup=False,
            )
    if not report.imported:
        err.print("[red]market: nothing was imported: every row is invalid[/red]")
        sys.exit(1)


def _print_rejected(console: Console, report: ImportReport) -> None:
    """Every bad row, one line per problem: where, which column, why."""
    for row in report.rejected:
        where = f"line {row.line}" + (f" ({row.uscc})" if row.uscc else "")
        for problem in row.problems:
            console.print(f"{where}: {problem.field}: {problem.message}", markup=False)


@registry.command("expiring")
@click.option(
    "--days", type=click.IntRange(1, 366), default=30, show_default=True, help="Look this far ahead."
)
@friendly_errors
def expiring_command(days: int) -> None:
    """List approved licences that expire within DAYS days (资质到期提醒), soonest first."""
    from rich.table import Table

    from market.clock import SystemClock, local_day
    from market.db import Database
    from market.registry.licences import ExpiringLicence, Listing, expiring_licences
    from market.registry.vocabulary import vocabulary_of
    from market.runtime import reachable_database, run_with_database

    settings = Settings.from_env()
    vocabulary = vocabulary_of(settings)
    today = local_day(SystemClock().now())
    with reachable_database(settings) as ready:
        assert ready.database_url

        async def run(database: Database) -> Listing[ExpiringLicence]:
            async with database.unit_of_work() as uow:
                return await expiring_licences(uow, today=today, days=days, limit=1000)

        found = run_with_database(ready.database_url, run)
    console = Console(highlight=False)
    if not found.items:
        console.print(f"market: no licence expires in the next {days} days")
        return
    table = Table("剩余天数", "有效期至", "企业", "资质", "等级", "证书编号", title=f"{days} 天内到期的资质")
    for e in found.items:
        name = vocabulary.licence_name(e.licence_type)
        table.add_row(str(e.days_left), e.valid_until.isoformat(), e.firm_name, name, e.grade, e.number)
    console.print(table)
    if found.total > len(found.items):
        console.print(
            f"market: {found.total - len(found.items)} more not shown (the {len(found.items)} soonest are)"
        )
