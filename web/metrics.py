"""``GET /metrics`` for the operator's Prometheus, behind ``MARKET_METRICS_TOKEN``.

Requests and their latencies (a histogram per route template and status) are recorded by
:class:`RequestMetrics`, which the request log calls once per answer; the platform's own
gauges — database pool, render queue, audit sealing lag — are read at scrape time, so they
are never stale and cost nothing between scrapes.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from market import audit
from market.errors import DatabaseUnavailable
from web.state import AppState

log = logging.getLogger("market.web")

APP_NAME = "market"


class RequestMetrics:
    """The request series, with the names and labels Litestar's Prometheus middleware gave
    them (``market_requests_total``, ``market_request_duration_seconds``,
    ``market_requests_error_total`` by method, route template, status and app;
    ``market_requests_in_progress`` by method and app). Recorded by the request log
    (:class:`web.observability.RequestLog`), which times every answer anyway: the
    middleware was one more layer and one more wrapper of every message sent, about a
    twentieth of a bid's cost. Requests no route matched are not recorded: their paths are
    whatever a client sent, and each would make a new series."""

    _labels = ("method", "path", "status_code", "app_name")

    def __init__(self, prefix: str = "market", registry: CollectorRegistry = REGISTRY) -> None:
        labels = self._labels
        self.total = Counter(f"{prefix}_requests_total", "Total requests", labels, registry=registry)
        self.errors = Counter(
            f"{prefix}_requests_error_total", "Total errors in requests", labels, registry=registry
        )
        self.duration = Histogram(
            f"{prefix}_request_duration_seconds", "Request duration, in seconds", labels, registry=registry
        )
        self.in_progress = Gauge(
            f"{prefix}_requests_in_progress",
            "Total requests currently in progress",
            ("method", "app_name"),
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._running: dict[str, Any] = {}

    def started(self, method: str) -> Any:
        """Count the request in progress; the gauge's child, for :meth:`finished`."""
        running = self._running.get(method)
        if running is None:
            running = self._running[method] = self.in_progress.labels(method, APP_NAME)
        running.inc()
        return running

    def finished(self, running: Any, method: str, route: str | None, status: int, seconds: float) -> None:
        running.dec()
        if route is None:
            return
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            values = (method, route, str(status), APP_NAME)
            series = self._series[key] = (self.total.labels(*values), self.duration.labels(*values))
        total, duration = series
        total.inc()
        duration.observe(seconds)
        if status >= 500:  # rare: no series kept for it, and none at 0 for every route
            self.errors.labels(method, route, str(status), APP_NAME).inc()


REQUEST_METRICS = RequestMetrics()


async def operator_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """No token configured: /metrics does not exist. Configured: the bearer token must match."""
    expected = AppState.of(connection.app).settings.metrics_token
    if expected is None:
        raise NotFoundException(f"no page or API route at {connection.url.path}")
    scheme, _, offered = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), expected.encode()):
        raise NotAuthorizedException(
            "/metrics is for the platform's operator: send 'Authorization: Bearer <MARKET_METRICS_TOKEN>'",
            extra={"code": "metrics-token"},
        )


class _Gauges:
    """A collector holding families already read (prometheus_client collects synchronously;
    the sealing lag needs an async query first)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


async def platform_gauges(state: AppState) -> list[Metric]:
    """The database pool, the render queue and the audit sealing lag, now."""
    families: list[Metric] = []
    pool = state.database.engine.pool
    if isinstance(pool, QueuePool):
        families += [
            _gauge(
                "market_db_pool_size",
                "Connections the pool may open and then keeps (twice MARKET_DB_POOL_SIZE)",
                pool.size(),
            ),
            _gauge("market_db_pool_checked_out", "Connections lent to requests and jobs", pool.checkedout()),
            _gauge("market_db_pool_idle", "Open connections waiting in the pool", pool.checkedin()),
            _gauge("market_db_pool_overflow", "Connections beyond the pool size", max(0, pool.overflow())),
        ]
    queue = state.documents.queue
    documents = GaugeMetricFamily(
        "market_render_documents", "Documents in the render queue, by state", labels=["state"]
    )
    documents.add_metric(["active"], queue.active)
    documents.add_metric(["pending"], queue.pending)
    families += [_gauge("market_render_workers", "Render worker processes running", queue.workers), documents]
    try:
        lag = await audit.sealing_lag(state.database)
    except (DBAPIError, OSError, DatabaseUnavailable) as exc:
        # The other gauges still tell the operator something; the missing series, and
        # this line, say the database did not answer.
        log.warning("metrics: audit sealing lag not read: %s", exc)
        return families
    families += [
        _gauge("market_audit_unsealed_entries", "Audit entries committed but not chained yet", lag.unsealed),
        _gauge(
            "market_audit_oldest_unsealed_seconds",
            "Age of the oldest audit entry waiting to be chained (0 if none)",
            lag.oldest_seconds,
        ),
    ]
    return families


@get(
    "/metrics",
    guards=[operator_only],
    include_in_schema=False,  # an operator's endpoint, not part of the platform's API
    summary="Prometheus metrics (operator only)",
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    own = CollectorRegistry(auto_describe=False)
    own.register(_Gauges(await platform_gauges(AppState.of(request.app))))
    # Two expositions of disjoint metric families concatenate into one valid one.
    body = generate_latest(REGISTRY) + generate_latest(own)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
