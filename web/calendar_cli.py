"""``market calendar …``: China's working-day calendar from the command line (节假日安排)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from market.settings import Settings
from web.cli_errors import friendly_errors

# a Group made directly, not by decorator: its type is then known to mypy across the import
# cycle with web.cli (which registers it at its bottom)
calendar: click.Group = click.Group(
    "calendar",
    help="Working days: holidays and swapped working weekends by year (节假日安排, docs/calendar.md).",
)


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def import_command(file: Path) -> None:
    """Import one year's holidays and working weekends from FILE (TOML, see docs/calendar.md).

    The year replaces what the platform knew about it, including chinese-calendar's. The
    same file again changes nothing. A bad file is refused whole, naming the place.
    """
    from market import audit
    from market.audit import Actor
    from market.calendar_years import YearImport, decode_year_file, import_year
    from market.clock import SystemClock
    from market.db import Database
    from market.runtime import reachable_database, run_with_database

    text = decode_year_file(file.read_bytes())
    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url

        async def run(database: Database) -> YearImport:
            async with database.unit_of_work() as uow:
                done = await import_year(uow, Actor.system("cli"), text, now=SystemClock().now())
                await uow.commit()
            await audit.seal_pending(database)
            return done

        done = run_with_database(ready.database_url, run)
    year = done.arrangement
    what = {
        "created": "imported",
        "replaced": "imported, replacing the earlier import",
        "unchanged": "unchanged (the same file was imported before)",
    }[done.outcome]
    if done.overrides_library and done.outcome != "unchanged":
        what += " (instead of chinese-calendar's)"
    click.echo(
        f"market: {year.year} {what}: {len(year.holidays)} days off, "
        f"{len(year.working_days)} working weekend days" + (f" — {year.notice}" if year.notice else "")
    )


@calendar.command("years")
@friendly_errors
def years_command() -> None:
    """List the years working days can be counted in, and where each comes from."""
    from rich.table import Table

    from market.calendar_years import KnownYear, known_years
    from market.clock import local
    from market.db import Database
    from market.runtime import reachable_database, run_with_database

    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url

        async def run(database: Database) -> list[KnownYear]:
            async with database.unit_of_work() as uow:
                return await known_years(uow)

        found = run_with_database(ready.database_url, run)
    table = Table("年份", "来源 source", "放假天数", "调休上班", "导入时间", "通知", title="节假日安排")
    for k in found:
        when = f"{local(k.imported_at):%Y-%m-%d %H:%M} {k.imported_by}" if k.imported_at else ""
        table.add_row(str(k.year), k.source, str(k.days_off), str(k.working_weekend_days), when, k.notice)
    Console(highlight=False).print(table)
    click.echo("market: a year not listed is refused until it is imported (market calendar import FILE)")
