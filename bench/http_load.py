"""Load over real HTTP for the bid benchmark: servers in their own processes (uvicorn, one
worker, as ``market serve`` runs), and a keep-alive HTTP/1.1 client.

Why a small client of our own rather than httpx: the machine has two cores, shared by the
server, PostgreSQL and the client. httpx spends about as much CPU per request as the bare
baseline server does, so it would cap the baseline and flatter the ratio; this client
writes a request and reads one ``Content-Length`` (or chunked) answer on an open
connection and does nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    seconds: float  # from writing the request to the last byte of the answer

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        payload = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        started = time.perf_counter()
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status, content = await self._answer()
        return Answer(status, content, time.perf_counter() - started)

    async def _answer(self) -> tuple[int, bytes]:
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            content = b"".join(chunks)
        else:
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p99 of 2,000 answers: the 1,980th fastest)."""
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))
    return ordered[rank - 1]


class Server:
    """A process serving HTTP on ``port``, stopped with SIGTERM; its standard error goes to
    ``log`` (the app's JSON log lines)."""

    def __init__(self, args: list[str], port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.log_path = log
        self._log: TextIO = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, *args], env=env, cwd=ROOT, stdout=self._log, stderr=self._log
        )

    def wait_ready(self, path: str = "/healthz", timeout: float = 90) -> None:
        import urllib.request

        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited: {self.log_path.read_text(encoding='utf-8')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"server on port {self.port} not ready within {timeout:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_") and k != "DATABASE_URL"}
    env.update(extra)
    return env


# -- CPU spent, from /proc: what a round cost, whatever else the machine was doing ---------------
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    # the command name may hold spaces and parentheses: the fields start after the last ")"
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK


def postgres_cpu(data_dir: Path) -> float:
    """CPU seconds of a PostgreSQL server: the postmaster, its live children (backends,
    WAL writer, checkpointer) and the children it has already reaped (closed backends)."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    fields = _stat(postmaster)
    total = sum(int(f) for f in fields[11:15]) / _TICK
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except OSError:  # gone meanwhile
            continue
        if int(child[1]) == postmaster:
            total += (int(child[11]) + int(child[12])) / _TICK
    return total
