"""The JSON log handler of ``market serve`` (web.observability.JsonLines): lines are
formatted by the logging thread and written in batches by a thread of its own; the
formatter's times, and records made lean for serving."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from io import StringIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from web.observability import JsonFormatter, JsonLines, lean_records


def _logger(handler: logging.Handler) -> logging.Logger:
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"test.json_lines.{id(handler)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger


def test_lines_come_out_whole_and_in_order_once_flushed() -> None:
    stream = StringIO()
    handler = JsonLines(stream)
    handler.interval = 3600  # only flush() writes here
    try:
        logger = _logger(handler)
        for n in range(500):
            logger.info("line %d", n, extra={"n": n})
        handler.flush()
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [line["n"] for line in lines] == list(range(500))
        assert lines[0]["message"] == "line 0"
    finally:
        handler.close()


def test_the_writer_writes_within_its_interval_without_a_flush() -> None:
    stream = StringIO()
    handler = JsonLines(stream)
    try:
        _logger(handler).info("soon")
        deadline = time.monotonic() + 5
        while "soon" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert json.loads(stream.getvalue())["message"] == "soon"
    finally:
        handler.close()


def test_closing_writes_what_is_still_held() -> None:
    stream = StringIO()
    handler = JsonLines(stream)
    handler.interval = 3600
    logger = _logger(handler)
    logger.warning("last words")
    handler.close()
    assert json.loads(stream.getvalue())["message"] == "last words"


@settings(max_examples=400)
@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))  # up to 2100
def test_a_line_s_time_is_the_one_datetime_writes(created: float) -> None:
    record = logging.makeLogRecord({"msg": "t", "created": created})
    line = json.loads(JsonFormatter().format(record))
    assert line["time"] == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_lean_records_leave_every_field_a_line_had(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))  # put back afterwards
    stream = StringIO()
    handler = JsonLines(stream)
    handler.interval = 3600
    try:
        logger = _logger(handler)
        logger.info("before %s", "x", extra={"event": "request", "status": 200})
        lean_records()
        logger.info("after %s", "x", extra={"event": "request", "status": 200})
        handler.flush()
        before, after = (json.loads(line) for line in stream.getvalue().splitlines())
        assert after.keys() == before.keys()
        assert {k: v for k, v in after.items() if k not in {"time", "message"}} == {
            k: v for k, v in before.items() if k not in {"time", "message"}
        }
        assert after["message"] == "after x"
        record = logger.makeRecord(logger.name, logging.INFO, "(unknown file)", 0, "m", (), None)
        assert record.thread is None and record.process is None
    finally:
        handler.close()
