"""An embedded PostgreSQL cluster that lives in the service's data folder.

With no ``DATABASE_URL`` the service creates a cluster under ``MARKET_HOME/postgres``
with the server binaries it finds on the machine, starts it on 127.0.0.1, and stops it on
exit. PostgreSQL refuses to run as root, so when we are root the server runs as the
unprivileged ``postgres`` system user (Debian's server package creates it) and the
cluster folder is handed to that user. The test suite uses the same class for its
throw-away server (``durable=False`` turns off fsync: nothing there needs to survive a
power cut, and it makes schema cloning fast).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from market.errors import EmbeddedDatabaseError

SUPERUSER = "market"
DATABASE = "market"
_UNPRIVILEGED_USER = "postgres"


@dataclass(frozen=True, slots=True)
class ServerBinaries:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, and their major version."""

    bindir: Path
    major: int

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _major_of(bindir: Path) -> int | None:
    postgres = bindir / "postgres"
    if not (postgres.is_file() and os.access(postgres, os.X_OK)):
        return None
    try:
        out = subprocess.run(
            [str(postgres), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def _candidate_bindirs(configured: Path | None) -> list[Path]:
    found: list[Path] = []
    if configured is not None:
        return [configured]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                found.append(Path(out))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(re.sub(r"\D", "", Path(p).parent.name) or 0),
        reverse=True,
    )
    found.extend(Path(p) for p in versions)
    on_path = shutil.which("pg_ctl")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def find_binaries(configured: Path | None = None, want_major: int | None = None) -> ServerBinaries:
    """Find PostgreSQL server binaries: ``pg_config --bindir``, ``/usr/lib/postgresql/*/bin``,
    then PATH. With ``want_major`` (the version an existing cluster was made with) the
    matching installation is preferred, since a cluster only opens with its own major
    version."""
    usable: list[ServerBinaries] = []
    for bindir in _candidate_bindirs(configured):
        if not all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            continue
        major = _major_of(bindir)
        if major is not None:
            usable.append(ServerBinaries(bindir, major))
    if not usable:
        raise EmbeddedDatabaseError(
            "no PostgreSQL server binaries found (looked at pg_config --bindir, "
            "/usr/lib/postgresql/*/bin and PATH); install them with "
            "`apt-get install postgresql` or set DATABASE_URL to an existing server"
        )
    if want_major is not None:
        for candidate in usable:
            if candidate.major == want_major:
                return candidate
    return usable[0]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``root`` (``root/data`` is PGDATA).

    ``start()`` creates the cluster on first use, starts the server unless it already runs,
    and returns the connection URL; ``stop()`` stops it if this object started it.
    """

    def __init__(
        self,
        root: Path,
        *,
        port: int = 0,
        bindir: Path | None = None,
        durable: bool = True,
    ) -> None:
        self.root = root.absolute()
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log_file = self.root / "server.log"
        self.password_file = self.root.parent / f"{self.root.name}.password"
        self.port_file = self.root.parent / f"{self.root.name}.port"
        self._requested_port = port
        self._configured_bindir = bindir
        self.durable = durable
        self._started_here = False
        self._binaries: ServerBinaries | None = None
        self.port = 0

    # -- who runs the server -------------------------------------------------
    @property
    def _run_as(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(_UNPRIVILEGED_USER)
        except KeyError:
            raise EmbeddedDatabaseError(
                "running as root, and PostgreSQL refuses to run as root, but there is no "
                f"'{_UNPRIVILEGED_USER}' system user to run it as; create one "
                "(apt-get install postgresql does) or run the service as an ordinary user"
            ) from None

    def _run(
        self, args: list[str], *, timeout: float = 60, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the server's user, in the cluster folder."""
        user = self._run_as
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            **(env or {}),
        }
        try:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=str(self.root),
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EmbeddedDatabaseError(f"{Path(args[0]).name} did not finish in {timeout:.0f} s") from None

    def _hand_over(self, path: Path) -> None:
        user = self._run_as
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _check_reachable_by_server_user(self) -> None:
        user = self._run_as
        if user is None:
            return
        for parent in [self.root, *self.root.parents]:
            mode = parent.stat().st_mode
            if parent.stat().st_uid != user.pw_uid and not mode & 0o001:
                raise EmbeddedDatabaseError(
                    f"the PostgreSQL server runs as '{user.pw_name}', which cannot enter {parent}; "
                    "put MARKET_HOME somewhere it can reach (e.g. under /srv or /var/lib) or "
                    f"run `chmod o+x {parent}`"
                )

    # -- life cycle -------------------------------------------------------------
    @property
    def binaries(self) -> ServerBinaries:
        if self._binaries is None:
            self._binaries = find_binaries(self._configured_bindir, self.cluster_major())
        return self._binaries

    def cluster_major(self) -> int | None:
        """The major version recorded in PGDATA, or None when there is no cluster yet."""
        version_file = self.data / "PG_VERSION"
        if not version_file.exists():
            return None
        text = version_file.read_text().strip()
        try:
            return int(text.split(".")[0])
        except ValueError:
            raise EmbeddedDatabaseError(f"{version_file} is unreadable ({text!r})") from None

    def _password(self) -> str:
        if self.password_file.exists():
            return self.password_file.read_text().strip()
        password = secrets.token_urlsafe(24)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)
        return password

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._hand_over(self.root)
        self._check_reachable_by_server_user()
        password = self._password()
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._hand_over(pwfile)
        try:
            result = self._run(
                [
                    self.binaries.tool("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                    *([] if self.durable else ["--no-sync"]),
                ],
                timeout=120,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedDatabaseError(
                f"initdb failed in {self.data}: {result.stderr.strip().splitlines()[-1:] or result.stdout}"
            )
        conf = self.data / "postgresql.conf"
        extra = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 200",
            "shared_buffers = 128MB",
        ]
        if not self.durable:
            extra += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with conf.open("a") as handle:
            handle.write("\n# written by market\n" + "\n".join(extra) + "\n")

    def _check_version(self) -> None:
        major = self.cluster_major()
        if major is not None and major != self.binaries.major:
            raise EmbeddedDatabaseError(
                f"the data folder {self.data} was made by PostgreSQL {major}, but the server "
                f"binaries found are PostgreSQL {self.binaries.major} ({self.binaries.bindir}); "
                f"install PostgreSQL {major} (apt-get install postgresql-{major}), point "
                "MARKET_PG_BINDIR at it, or upgrade the folder with pg_upgrade"
            )

    def _running_port(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return None
        status = self._run([self.binaries.tool("pg_ctl"), "status", "-D", str(self.data)])
        if status.returncode != 0:
            return None
        lines = pidfile.read_text().splitlines()
        try:
            return int(lines[3])
        except (IndexError, ValueError):
            return None

    def _choose_port(self) -> int:
        if self._requested_port:
            return self._requested_port
        if self.port_file.exists():
            with contextlib.suppress(ValueError):
                remembered = int(self.port_file.read_text().strip())
                if _port_is_free(remembered):
                    return remembered
        port = _free_port()
        self.port_file.write_text(f"{port}\n")
        return port

    def url(self, database: str = DATABASE) -> str:
        """The asyncpg URL of ``database`` on this cluster (valid once started)."""
        return (
            f"postgresql+asyncpg://{SUPERUSER}:{quote(self._password(), safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

    def socket_url(self, database: str = DATABASE) -> str:
        """:meth:`url` through the cluster's Unix socket (valid once started): how this host's
        own processes reach it (``market serve`` and the CLI). Without TCP on the way a bid
        cost the service and PostgreSQL less CPU and more bids a second went through
        (bench/bids.py); the server refuses to start on a socket path too long to use."""
        return (
            f"postgresql+asyncpg://{SUPERUSER}:{quote(self._password(), safe='')}@/{database}"
            f"?host={quote(str(self.socket_dir))}&port={self.port}"
        )

    def start(self) -> str:
        """Create the cluster if needed, start the server unless it runs, return the URL."""
        if self.data.exists() and not (self.data / "PG_VERSION").exists() and any(self.data.iterdir()):
            raise EmbeddedDatabaseError(
                f"{self.data} exists but is not a PostgreSQL data folder; move it away"
            )
        self._check_version()
        if self.cluster_major() is None:
            self._initdb()
        self.socket_dir.mkdir(exist_ok=True)
        self._hand_over(self.socket_dir)
        self._check_reachable_by_server_user()

        running = self._running_port()
        if running is not None:
            self.port = running
        else:
            self.port = self._choose_port()
            result = self._run(
                [
                    self.binaries.tool("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log_file),
                    "-o",
                    f"-p {self.port}",
                ],
                timeout=90,
            )
            if result.returncode != 0:
                tail = ""
                with contextlib.suppress(OSError):
                    tail = " | ".join(self.log_file.read_text().strip().splitlines()[-3:])
                raise EmbeddedDatabaseError(
                    f"PostgreSQL did not start on port {self.port}: {tail or result.stderr.strip()}"
                )
            self._started_here = True
        self._ensure_database()
        return self.url()

    def _sql(self, sql: str) -> subprocess.CompletedProcess[str]:
        """Run one statement with psql against the ``postgres`` database over TCP."""
        psql = self.binaries.bindir / "psql"
        client = str(psql) if psql.exists() else (shutil.which("psql") or "psql")
        return self._run(
            [
                client,
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qtA",
                "-c",
                sql,
            ],
            env={"PGPASSWORD": self._password()},
        )

    def _ensure_database(self, name: str = DATABASE) -> None:
        # name is ours (a constant or a test's generated name), never user input
        exists = self._sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if exists.returncode != 0:
            raise EmbeddedDatabaseError(f"cannot query the embedded server: {exists.stderr.strip()}")
        if exists.stdout.strip() != "1":
            created = self._sql(f'CREATE DATABASE "{name}"')
            if created.returncode != 0:
                raise EmbeddedDatabaseError(f"cannot create database {name}: {created.stderr.strip()}")

    def stop(self, *, force: bool = False) -> None:
        """Stop the server if this object started it (or always, with ``force``)."""
        if not (self._started_here or force):
            return
        if not (self.data / "postmaster.pid").exists():
            return
        self._run(
            [self.binaries.tool("pg_ctl"), "stop", "-w", "-t", "30", "-m", "fast", "-D", str(self.data)],
            timeout=60,
        )
        self._started_here = False

    def destroy(self) -> None:
        """Stop the server and delete the whole cluster (throw-away test clusters only)."""
        self.stop(force=True)
        deadline = time.monotonic() + 10
        while (self.data / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.root, ignore_errors=True)
        self.password_file.unlink(missing_ok=True)
        self.port_file.unlink(missing_ok=True)
