"""The JSON log handler of ``market serve`` (web.observability.JsonLines): lines are
formatted by the logging thread and written in batches by a thread of its own."""

from __future__ import annotations

import json
import logging
import time
from io import StringIO

from web.observability import JsonFormatter, JsonLines


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
