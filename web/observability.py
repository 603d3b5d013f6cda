"""What the operator reads: one JSON log line per request and per business event, tied
together by a request id that error answers quote as their ``incident``.

Why stdlib ``logging`` with a JSON formatter rather than structlog: ``market/`` logs
business events (audit entries, see :mod:`market.audit`) and must not import litestar,
and uvicorn, SQLAlchemy and APScheduler log through stdlib ``logging`` too; one formatter
on the root logger turns all of them into JSON lines, with no second logging system to
keep in step. Litestar's :class:`LoggingConfig` installs it, so the app's own logger gets
the same lines.
"""

from __future__ import annotations

import atexit
import itertools
import json
import logging
import re
import sys
import threading
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from litestar import Litestar, Request
from litestar.logging.config import LoggingConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from web.security import route_opt

if TYPE_CHECKING:
    from web.metrics import RequestMetrics

REQUEST_ID_HEADER = "x-request-id"
# What a proxy's id may look like to be taken over (UUIDs, nginx's $request_id, AWS
# trace ids): anything else, or anything longer, could forge or flood log lines.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
_request_id: ContextVar[str | None] = ContextVar("market_request_id", default=None)

request_log = logging.getLogger("market.request")

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_BLANK_RECORD = vars(logging.makeLogRecord({}))
_RECORD_ATTRIBUTES = frozenset(_BLANK_RECORD) | {"message", "asctime", "taskName"}
_SET_BY_RECORD = len(_BLANK_RECORD)


def current_request_id() -> str | None:
    """The id of the request being handled in this task, if any."""
    return _request_id.get()


def request_id_of(request: Request[Any, Any, Any]) -> str:
    """The request's id (set by :class:`RequestLog`; made here if the app runs without it)."""
    state = request.scope.setdefault("state", {})
    request_id = state.get("request_id")
    if not isinstance(request_id, str):
        request_id = state["request_id"] = uuid.uuid4().hex
    return request_id


# One encoder for every line: json.dumps with arguments builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def lean_records() -> None:
    """Leave out of every log record what no JSON line carries: the caller's file, line and
    function (a walk up the stack per record), the thread and the process. These are the
    Python documentation's own logging optimisations (Logging HOWTO, "Optimization"); they
    halve what a line costs, and ``market serve`` writes one per request and per audit entry."""
    logging._srcfile = None  # type: ignore[attr-defined]  # documented there as the switch
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


class _UtcTimes:
    """A record's time as ISO 8601 UTC to the millisecond, the date and time of day made once
    a second rather than once a line (kept as one tuple: threads that log share it)."""

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def text(self, created: float) -> str:
        # microseconds rounded as datetime.fromtimestamp rounds them, then cut to milliseconds
        second = int(created)
        micros = round((created - second) * 1e6)
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        kept, prefix = self._second
        if kept != second:
            prefix = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")[:-6]
            self._second = (second, prefix)
        return f"{prefix}.{micros // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request id of the
    task that logged, every ``extra`` field, and the traceback if any."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._times = _UtcTimes()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._times.text(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        # Logger.makeRecord adds the extras after what LogRecord sets (and refuses their names):
        # the look for them starts there
        line.update(
            (key, value)
            for key, value in itertools.islice(vars(record).items(), _SET_BY_RECORD, None)
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and key != "request_id"
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(line)


class JsonLines(logging.Handler):
    """Formats in the thread that logs (where the request id is known) and writes from a
    thread of its own, so a slow log reader never stalls the event loop.

    The writer wakes every :attr:`interval` seconds and writes whatever lines came in one
    go, rather than being woken for each line: under load a line per request (and one per
    audit entry) made a thread switch each, which cost the service more than the line.
    A line is written within ``interval``; a warning or worse wakes the writer at once, and
    the lines still held are written when the handler is flushed or closed (and at exit)."""

    interval = 0.05

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self._lines: list[str] = []
        self._held = threading.Lock()  # guards _lines; emit only appends under it
        self._write = threading.Lock()  # one writer at a time keeps the lines in order
        self._wake = threading.Event()
        self._closed = False
        self._writer = threading.Thread(target=self._run, name="json-log-writer", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        with self._held:
            self._lines.append(line)
        if record.levelno >= logging.WARNING:
            self._wake.set()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._write:
            with self._held:
                lines, self._lines = self._lines, []
            if lines:
                try:
                    self.stream.write("\n".join(lines) + "\n")
                    self.stream.flush()
                except (OSError, ValueError):  # the reader went away; nothing to tell it
                    pass

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.flush()
        super().close()


def json_logging(stream: IO[str] | None = None) -> LoggingConfig:
    """Litestar's logging configuration with every logger writing JSON lines to ``stream``
    (standard error by default), INFO and above."""
    handler = {"()": JsonLines, "formatter": "json", "stream": stream}
    return LoggingConfig(
        formatters={"json": {"()": JsonFormatter}},
        handlers={"json_lines": handler},
        root={"handlers": ["json_lines"], "level": "INFO"},
        loggers={"litestar": {"level": "INFO", "handlers": ["json_lines"], "propagate": False}},
        # web.errors logs each unhandled error once, with its incident; Litestar need not.
        log_exceptions="never",
    )


class RequestLog:
    """Gives every HTTP request an id (the caller's ``X-Request-ID`` if sane, else a new
    one), echoes it in the response and logs one line when the answer has gone out:
    method, route template, path, status, duration, user id and client address. No
    headers, query string or body: they may carry passwords and tokens."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER.encode()), b"")
        text = offered.decode("latin-1")
        request_id = text if _SANE_REQUEST_ID.fullmatch(text) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = _request_id.set(request_id)
        running = self.metrics.started(scope["method"]) if self.metrics is not None else None
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (REQUEST_ID_HEADER.encode(), request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            self._log(scope, status, seconds)
            if self.metrics is not None:
                route = scope.get("path_template") or None  # None: no route matched
                self.metrics.finished(running, scope["method"], route, status, seconds)
            _request_id.reset(token)

    @staticmethod
    def _log(scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("path_template") or None  # None: no route matched
        user = scope.get("user")
        client = scope.get("client")
        if is_sealed(scope):
            # a bid route: who asked, from where, would tell who bids (docs/sealed-bids.md)
            user = client = None
        request_log.info(
            "%s %s %d", scope["method"], route or scope["path"], status,
            extra={
                "event": "request",
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": getattr(user, "user_id", None),
                "client": client[0] if client else None,
            },
        )


def is_sealed(scope: Scope) -> bool:
    """Whether the matched route is marked ``opt={"sealed": True}`` (the bid routes)."""
    return route_opt(scope, "sealed")


def log_requests(app: Litestar, metrics: RequestMetrics | None = None) -> None:
    """Put :class:`RequestLog` around the whole app, outside routing (like Litestar's own
    OpenTelemetry middleware), so requests that match no route are logged and get an id
    too; a middleware in the app's list would only see routed requests. ``metrics``: the
    request series it records as well."""
    app.asgi_handler = RequestLog(app.asgi_handler, metrics)
