"""The request series the request log records (web.metrics.RequestMetrics): per route
template and status, errors apart, in progress while a request runs; a path no route
matched makes no series (a client could otherwise make one per path it sends)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from web.metrics import RequestMetrics


def _text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def test_requests_are_counted_per_route_and_status_and_unrouted_paths_make_no_series() -> None:
    registry = CollectorRegistry()
    metrics = RequestMetrics(prefix="t", registry=registry)
    running = metrics.started("PUT")
    assert 't_requests_in_progress{app_name="market",method="PUT"} 1.0' in _text(registry)
    metrics.finished(running, "PUT", "/api/bids/{bid_id:int}", 200, 0.004)
    for _ in range(2):
        metrics.finished(metrics.started("GET"), "GET", "/healthz", 503, 0.001)
    metrics.finished(metrics.started("GET"), "GET", None, 404, 0.001)  # no route matched
    text = _text(registry)
    assert 't_requests_in_progress{app_name="market",method="PUT"} 0.0' in text
    assert (
        't_requests_total{app_name="market",method="PUT",path="/api/bids/{bid_id:int}",status_code="200"} 1.0'
        in text
    )
    assert 't_requests_total{app_name="market",method="GET",path="/healthz",status_code="503"} 2.0' in text
    assert 't_requests_error_total{app_name="market",method="GET",path="/healthz",status_code="503"} 2.0' in text
    assert 't_requests_error_total{app_name="market",method="PUT"' not in text  # a 200 is no error
    assert 'status_code="404"' not in text
    assert 't_request_duration_seconds_count{app_name="market",method="PUT"' in text
