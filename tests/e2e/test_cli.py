"""The ``market`` command as an operator runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import ClonedDatabase

MARKET = [sys.executable, "-c", "from web.cli import run; run()"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_") and k != "DATABASE_URL"}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, data: bytes | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.slow
def test_serve_demo_on_embedded_postgres_answers_and_stops_its_server() -> None:
    # not pytest's tmp_path: its parent is private to root, and the server runs as 'postgres'
    scratch = Path(tempfile.mkdtemp(prefix="market-serve-"))
    scratch.chmod(0o755)
    home = scratch / "home"
    port = _free_port()
    process = subprocess.Popen(
        [*MARKET, "serve", "--demo", "--port", str(port)],
        env=_env(MARKET_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # a fresh cluster, the migrations, the demo pool and the demo's twenty procurements
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200, process.stdout.read() if process.poll() is not None else "no answer"
        assert body == {"status": "ok", "database": "ok"}
        status, body = _get(
            f"http://127.0.0.1:{port}/api/auth/login",
            json.dumps({"username": "supervisor", "password": "demo-password-2026"}).encode(),
        )
        assert status == 200, process.stdout.read() if process.poll() is not None else "no answer"
        assert body["user"]["roles"] == ["supervisor"]  # type: ignore[index]
        status, body = _get(f"http://127.0.0.1:{port}/api/firms?per_page=1")
        assert status == 200 and body["total"] > 800  # type: ignore[index]  (the demo pool)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "demo pool loaded: 600 contractors, 300 intermediaries" in output, output
    assert "demo accounts created" in output and "builder2" in output
    assert "Traceback" not in output
    # the service logs JSON lines (the password shown once above is the demo loader's, on stdout)
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [login] = [line for line in logged if line.get("route") == "/api/auth/login"]
    assert login["status"] == 200 and login["request_id"] and login["duration_ms"] >= 0
    assert any(line.get("action") == "session:opened" for line in logged)
    assert "demo-password-2026" not in json.dumps(logged)
    assert not (home / "postgres" / "data" / "postmaster.pid").exists(), "embedded server left running"
    assert (home / "postgres" / "data" / "PG_VERSION").exists()
    shutil.rmtree(scratch, ignore_errors=True)


def test_market_demo_loads_once_and_says_so(fresh_database: ClonedDatabase) -> None:
    env = _env(DATABASE_URL=fresh_database.url)
    first = subprocess.run([*MARKET, "demo"], capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    assert "demo pool loaded" in first.stdout and "demo accounts created" in first.stdout
    again = subprocess.run([*MARKET, "demo"], capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 0, again.stderr
    assert "demo pool already present" in again.stdout
    assert "demo accounts already present" in again.stdout and "password" not in again.stdout


def test_unreachable_database_url_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [*MARKET, "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(MARKET_HOME=str(tmp_path), DATABASE_URL=f"postgresql://x:y@127.0.0.1:{_free_port()}/none"),
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert "cannot reach PostgreSQL" in errors[0]
    assert "Traceback" not in result.stderr


def test_data_folder_of_another_postgresql_version_gets_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("9\n")
    result = subprocess.run(
        [*MARKET, "db", "current"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(MARKET_HOME=str(tmp_path)),
    )
    assert result.returncode == 1
    assert "made by PostgreSQL 9" in result.stderr and "pg_upgrade" in result.stderr
    assert "Traceback" not in result.stderr


async def test_user_create_and_audit_verify_catch_an_edited_entry(
    fresh_database: ClonedDatabase, tmp_path: Path
) -> None:
    env = _env(MARKET_HOME=str(tmp_path), DATABASE_URL=fresh_database.url)
    created = subprocess.run(
        [*MARKET, "user", "create", "--name", "sup.wang", "--role", "supervisor", "--display-name", "王监督"],
        input="a strong password\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert created.returncode == 0, created.stderr
    weak = subprocess.run(
        [*MARKET, "user", "create", "--name", "weak.one", "--role", "owner"],
        input="short\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    unknown = subprocess.run(
        [*MARKET, "user", "create", "--name", "x.y", "--role", "boss"],
        input="a strong password\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert unknown.returncode == 1 and "unknown role 'boss'" in unknown.stderr

    intact = subprocess.run([*MARKET, "audit", "verify"], capture_output=True, text=True, timeout=60, env=env)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 2 entries" in intact.stdout

    async with fresh_database.database.sessions() as session:
        entry_id = await session.scalar(text("SELECT id FROM audit_entry WHERE action = 'user:created'"))
        await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        await session.execute(
            text('UPDATE audit_entry SET payload = payload || \'{"display_name": "改"}\' WHERE id = :id'),
            {"id": entry_id},
        )
        await session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
        await session.commit()
    broken = subprocess.run([*MARKET, "audit", "verify"], capture_output=True, text=True, timeout=60, env=env)
    assert broken.returncode == 1
    assert f"entry {entry_id} (seal 1, action user:created) has been altered" in broken.stderr


def test_db_url_prints_a_psql_url(fresh_database: ClonedDatabase, tmp_path: Path) -> None:
    result = subprocess.run(
        [*MARKET, "db", "url"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(MARKET_HOME=str(tmp_path), DATABASE_URL=fresh_database.url),
    )
    assert result.returncode == 0
    assert result.stdout.strip().startswith("postgresql://") and fresh_database.name in result.stdout


async def test_registry_expiring_lists_licences_running_out(fresh_database: ClonedDatabase) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from market.clock import local_day
    from tests.registry_data import admitted_firm, contractor

    today = local_day(datetime.now(UTC))
    soon = contractor(1)
    soon["licences"][0]["valid_until"] = (today + timedelta(days=6)).isoformat()
    await admitted_firm(fresh_database.database, soon, now=datetime.now(UTC))
    await admitted_firm(fresh_database.database, contractor(2), now=datetime.now(UTC))
    env = _env(DATABASE_URL=fresh_database.url, COLUMNS="200")
    result = await asyncio.to_thread(
        subprocess.run,
        [*MARKET, "registry", "expiring", "--days", "10"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert soon["licences"][0]["number"] in result.stdout and "6" in result.stdout
    assert contractor(2)["licences"][0]["number"] not in result.stdout


async def test_calendar_import_makes_a_year_known_and_refuses_a_bad_file(
    fresh_database: ClonedDatabase, tmp_path: Path
) -> None:
    import asyncio

    from tests.unit.test_calendar import EXAMPLE_2026, YEAR_2031

    env = _env(DATABASE_URL=fresh_database.url, COLUMNS="200")

    def market(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*MARKET, "calendar", *args], capture_output=True, text=True, timeout=60, env=env
        )

    year_file = tmp_path / "2031.toml"
    year_file.write_text(YEAR_2031, encoding="utf-8")
    imported = await asyncio.to_thread(market, "import", str(year_file))
    assert imported.returncode == 0, imported.stderr
    assert "2031 imported: 8 days off, 2 working weekend days" in imported.stdout
    again = await asyncio.to_thread(market, "import", str(year_file))
    assert again.returncode == 0 and "2031 unchanged" in again.stdout
    library = await asyncio.to_thread(market, "import", str(EXAMPLE_2026))
    assert library.returncode == 0 and "instead of chinese-calendar's" in library.stdout

    bad = tmp_path / "2032.toml"
    bad.write_text(YEAR_2031.replace("2031", "2032").replace("2032-02-08", "2032-02-06"), encoding="utf-8")
    refused = await asyncio.to_thread(market, "import", str(bad))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().count("\n") == 0 and "working day anyway" in refused.stderr

    listed = await asyncio.to_thread(market, "years")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.count("│") > 3}
    assert "imported" in lines["2031"] and "cli" in lines["2031"]
    assert "imported" in lines["2026"] and "chinese_calendar" in lines["2025"]
    assert "2032" not in lines

    async with fresh_database.database.sessions() as session:
        actors = (
            await session.scalars(
                text("SELECT actor_label FROM audit_entry WHERE action = 'calendar:imported' ORDER BY id")
            )
        ).all()
    assert actors == ["cli", "cli"]  # 2031 and 2026; the unchanged and the refused wrote nothing


async def test_audit_checkpoint_is_published_and_then_held_against_a_removed_tail(
    fresh_database: ClonedDatabase, tmp_path: Path
) -> None:
    env = _env(MARKET_HOME=str(tmp_path), DATABASE_URL=fresh_database.url)
    for name in ("sup.li", "sup.zhao"):
        made = subprocess.run(
            [*MARKET, "user", "create", "--name", name, "--role", "supervisor"],
            input="a strong password\n",
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert made.returncode == 0, made.stderr
    published = subprocess.run(
        [*MARKET, "audit", "checkpoint"], capture_output=True, text=True, timeout=60, env=env
    )
    assert published.returncode == 0, published.stderr
    checkpoint = published.stdout.strip()
    found = re.fullmatch(r"(\d+):[0-9a-f]{64}", checkpoint)
    assert found is not None
    head = int(found[1])
    held = subprocess.run(
        [*MARKET, "audit", "verify", "--checkpoint", checkpoint],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert held.returncode == 0 and f"contains {checkpoint}" in held.stdout

    async with fresh_database.database.sessions() as session:  # the newest entry and its seal go
        await session.execute(text("ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only"))
        await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        victim = await session.scalar(text("SELECT entry_id FROM audit_seal WHERE seq = :s"), {"s": head})
        await session.execute(text("DELETE FROM audit_seal WHERE seq = :s"), {"s": head})
        await session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": victim})
        await session.commit()
        await session.execute(text("ALTER TABLE audit_seal ENABLE TRIGGER audit_seal_append_only"))
        await session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
        await session.commit()
    alone = subprocess.run([*MARKET, "audit", "verify"], capture_output=True, text=True, timeout=60, env=env)
    assert alone.returncode == 0  # what is left is a valid chain
    caught = subprocess.run(
        [*MARKET, "audit", "verify", "--checkpoint", checkpoint],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert caught.returncode == 1 and f"is past the chain's head (seal {head - 1})" in caught.stderr
    malformed = subprocess.run(
        [*MARKET, "audit", "verify", "--checkpoint", "2-abc"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert (
        malformed.returncode == 1 and "SEQ:HASH" in malformed.stderr and "Traceback" not in malformed.stderr
    )
