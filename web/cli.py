"""The ``market`` command."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import sys
import time

import click

from market import migrate
from market.settings import Settings
from web.calendar_cli import calendar
from web.cli_errors import friendly_errors
from web.registry_cli import registry


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option("0.1.0", prog_name="market")
def main() -> None:
    """韶关市公共资源交易平台 — market: contractor pool, intermediary supermarket and
    auditable selection.

    Configuration comes from the environment: MARKET_HOME (data folder, default ./var),
    DATABASE_URL (use this PostgreSQL instead of the embedded one), MARKET_* (see README).
    """


def _load_demo(ready: Settings) -> None:
    """Load what is missing of the demo data; the accounts are printed when they are made."""
    from market.demo import ACCOUNTS, DEMO_PASSWORD, load_demo
    from market.registry.vocabulary import vocabulary_of
    from market.runtime import run_with_database

    assert ready.database_url is not None
    vocabulary = vocabulary_of(ready)
    summary = run_with_database(
        ready.database_url, lambda database: load_demo(database, ready.auth, vocabulary=vocabulary)
    )
    pool = summary.pool
    state = "loaded" if pool.loaded else "already present"
    click.echo(
        f"market: demo pool {state}: {pool.contractors} contractors, {pool.intermediaries} "
        f"intermediaries ({pool.applied} waiting for review, {pool.suspended} suspended, "
        f"{pool.misconduct} misconduct records)"
    )
    if summary.accounts_loaded:
        click.echo(f"market: demo accounts created, password {DEMO_PASSWORD} (shown once):")
        for account in ACCOUNTS:
            click.echo(f"    {account.username:<11} {account.role.value:<13} {account.display_name}")
    else:
        click.echo("market: demo accounts already present (admin, supervisor, owner, agent1, builder1 …)")
    _load_demo_procurements(ready)


def _load_demo_procurements(ready: Settings) -> None:
    """Procurements in every state, two reaching their deadline minutes from now (once)."""
    from datetime import UTC, datetime

    from market.demo import DEMO_PASSWORD
    from market.demo_procurements import demo_owner_secret, load_demo_procurements
    from market.procurement.terms import procurement_terms_of
    from market.registry.vocabulary import vocabulary_of
    from market.runtime import run_with_database
    from market.sealed.keys import load_kek

    assert ready.database_url is not None
    watched = run_with_database(
        ready.database_url,
        lambda database: load_demo_procurements(
            database,
            vocabulary=vocabulary_of(ready),
            terms=procurement_terms_of(ready),
            bid_key=load_kek(ready.home, ready.bid_key_file),
            now=datetime.now(UTC),
            auth=ready.auth,
            password=DEMO_PASSWORD,
        ),
    )
    if watched:
        click.echo(
            "market: demo procurements loaded, with owner2's eleven of the last three months, eight "
            "rigged by a planted cartel (supervisor: /supervision/screens over those months)"
        )
        click.echo("market: the owner's secrets to reveal in the window:")
        for reference in watched:
            click.echo(f"    {reference}  {demo_owner_secret(reference)}")


@main.command()
@friendly_errors
def demo() -> None:
    """Load the demo accounts and the demo registry pool once (演示数据), without serving."""
    from market.runtime import reachable_database

    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url is not None
        if migrate.current_revision(ready.database_url) != migrate.head_revision():
            click.echo("market: applying migrations …")
            migrate.upgrade(ready.database_url)
        _load_demo(ready)


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1 or MARKET_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8000 or MARKET_PORT).")
@click.option("--demo", is_flag=True, help="Load the demo accounts and registry pool (once).")
@friendly_errors
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Start the platform: database, migrations, then HTTP (启动服务)."""
    import uvicorn

    from market.runtime import reachable_database

    started = time.monotonic()
    settings = Settings.from_env()
    if host or port:
        from dataclasses import replace

        derived_url = settings.public_url == f"http://{settings.host}:{settings.port}"
        settings = replace(settings, host=host or settings.host, port=port or settings.port)
        if derived_url:  # keep QR links pointing where we actually serve
            settings = replace(settings, public_url=f"http://{settings.host}:{settings.port}")
    where = (
        "embedded PostgreSQL in " + str(settings.home / "postgres")
        if settings.uses_embedded_database
        else "DATABASE_URL"
    )
    click.echo(f"market: database: {where}")
    with reachable_database(settings) as ready:
        assert ready.database_url is not None
        if migrate.current_revision(ready.database_url) != migrate.head_revision():
            click.echo("market: applying migrations …")
            migrate.upgrade(ready.database_url)
        if demo:
            _load_demo(ready)
        from sqlalchemy.orm import configure_mappers

        from web.app import create_app
        from web.observability import json_logging, lean_records

        # Logs are for machines (one JSON object per line on stderr); the lines above and
        # below on stdout stay for the person starting the service.
        lean_records()
        app = create_app(ready, logging_config=json_logging())
        click.echo(
            f"market: ready in {time.monotonic() - started:.1f} s, serving on "
            f"http://{ready.host}:{ready.port}  (Ctrl+C stops)"
        )
        # Everything built so far (modules, routes, mappers, templates) lives as long as the
        # process: out of the collector's sight, a full collection under load took some 8 ms
        # instead of 130 ms, a stall every request in flight waited out (bench/bids.py). The
        # mappers are configured first, else the first query would, after the freeze.
        configure_mappers()
        gc.collect()
        gc.freeze()
        # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; turning them into
        # exceptions lets the embedded PostgreSQL be stopped on the way out.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            uvicorn.run(  # log_config=None: uvicorn's own lines go through the JSON handler too
                app, host=ready.host, port=ready.port, log_level="warning", access_log=False,
                lifespan="on", log_config=None, **SERVER_LOOP,
            )
        click.echo("market: stopping")


# httptools rather than h11 and uvloop rather than asyncio's own loop (both dependencies),
# each measured side by side on the bid intake (bench/bids.py, interleaved rounds on one
# PostgreSQL): less server CPU per bid and more bids a second. uvloop was once measured the
# other way, when a bid took eight round trips through the ORM; with one statement a bid, the
# socket reads and writes it does in C are a tenth of the service's time.
SERVER_LOOP = {"loop": "uvloop", "http": "httptools"}


@main.group()
def db() -> None:
    """Database schema and location (数据库)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@friendly_errors
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default head)."""
    from market.runtime import reachable_database

    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url
        migrate.upgrade(ready.database_url, revision)
        click.echo(f"market: database at {migrate.current_revision(ready.database_url)}")


@db.command("downgrade")
@click.argument("revision")
@friendly_errors
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (e.g. -1 or base)."""
    from market.runtime import reachable_database

    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url
        migrate.downgrade(ready.database_url, revision)
        click.echo(f"market: database at {migrate.current_revision(ready.database_url)}")


@db.command("current")
@friendly_errors
def db_current() -> None:
    """Show the revision the database is at and the newest one."""
    from market.runtime import reachable_database

    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url
        current = migrate.current_revision(ready.database_url)
        head = migrate.head_revision()
        state = "up to date" if current == head else f"behind (newest is {head})"
        click.echo(f"{current or '(empty)'}  {state}")


@db.command("url")
@friendly_errors
def db_url() -> None:
    """Print the URL of the database in use (embedded or configured), for psql."""
    from market.runtime import database_settings

    with database_settings(Settings.from_env(), keep_running=True) as ready:
        assert ready.database_url
        click.echo(ready.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))


@main.group()
def user() -> None:
    """Accounts (用户)."""


@user.command("create")
@click.option("--name", "username", required=True, help="User name used to sign in.")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    help="owner, intermediary, contractor, supervisor or admin (repeatable).",
)
@click.option("--display-name", default=None, help="Full name shown on pages (default: --name).")
@click.option(
    "--organisation",
    "organisation_id",
    type=int,
    default=None,
    help="Id of the organisation the user works for.",
)
@friendly_errors
def user_create(
    username: str, roles: tuple[str, ...], display_name: str | None, organisation_id: int | None
) -> None:
    """Create a user; the password is asked for, or read from stdin when piped."""
    from market import accounts, audit
    from market.audit import Actor
    from market.db import Database
    from market.runtime import reachable_database, run_with_database

    parsed = [accounts.parse_role(r) for r in roles]
    if sys.stdin.isatty():
        password = click.prompt("Password (密码)", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url

        async def create(database: Database) -> int:
            async with database.unit_of_work() as uow:
                created = await accounts.create_user(
                    uow,
                    Actor.system("cli"),
                    username=username,
                    display_name=display_name or username,
                    password=password,
                    roles=parsed,
                    organisation_id=organisation_id,
                    auth=ready.auth,
                )
                await uow.commit()
            await audit.seal_pending(database)
            return created.id

        user_id = run_with_database(ready.database_url, create)
        click.echo(f"market: created user {username} (id {user_id}) with roles {', '.join(roles)}")


@main.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log (审计日志)."""


@audit_group.command("verify")
@click.option("--all", "report_all", is_flag=True, help="List every problem, not only the first.")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    metavar="SEQ:HASH",
    help="A published checkpoint the chain must still contain (repeatable).",
)
@friendly_errors
def audit_verify(report_all: bool, checkpoints: tuple[str, ...]) -> None:
    """Re-compute the hash chain; exit 1 naming the first entry that does not match, or a
    published checkpoint the chain no longer contains."""
    from market import audit, audit_checkpoints
    from market.db import Database
    from market.runtime import reachable_database, run_with_database

    wanted = audit_checkpoints.parse_many(list(checkpoints)) if checkpoints else []
    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url

        async def run(database: Database) -> audit.VerifyReport:
            await audit.seal_pending(database)
            return await audit.verify_chain(
                database, stop_at_first=not report_all, checkpoints={c.seq: c.hash for c in wanted}
            )

        report = run_with_database(ready.database_url, run)
    if report.intact:
        held = f"; contains {', '.join(map(str, wanted))}" if wanted else ""
        click.echo(f"market: audit log intact: {report.checked} entries, head {report.head_hash}{held}")
        return
    for problem in report.problems:
        click.secho(f"market: audit log BROKEN: {problem}", fg="red", err=True)
    sys.exit(1)


@audit_group.command("checkpoint")
@friendly_errors
def audit_checkpoint() -> None:
    """Publish the chain's sealed head now as a checkpoint (SEQ:HASH) and print it."""
    from market import audit_checkpoints
    from market.clock import SystemClock
    from market.db import Database
    from market.models import AuditCheckpoint
    from market.runtime import reachable_database, run_with_database

    with reachable_database(Settings.from_env()) as ready:
        assert ready.database_url

        async def run(database: Database) -> AuditCheckpoint | None:
            return await audit_checkpoints.publish_now(database, SystemClock().now())

        row = run_with_database(ready.database_url, run)
    if row is None:
        click.echo("market: the audit log is empty; nothing to publish")
        return
    click.echo(f"{row.seq}:{row.hash}")


main.add_command(registry)
main.add_command(calendar)


def run() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    main()
