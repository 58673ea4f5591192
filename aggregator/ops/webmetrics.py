"""Metrics of web nodes (`serve`, `serve --from-db`, `run`): HTTP requests by route and status,
and the sources' health read from the database when /metrics is scraped."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aggregator.clock import utcnow
from aggregator.models import SourceState

FIXED_ROUTES = ("/", "/healthz", "/readyz", "/metrics")
MOUNTED = ("/admin", "/subscribe", "/unsubscribe")
FAILING = ("error", "backoff", "gone")
NOT_POLLED = ("gone", "disabled")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

States = Callable[[], Sequence[SourceState]]


def route_of(path: str, status: int) -> str:
    """A label with few values: fixed routes, mounted apps, and a published file's own name
    only when it was found (every other path is "other")."""
    if path in FIXED_ROUTES:
        return path
    for prefix in MOUNTED:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    name = path[1:]
    if status in (200, 304) and name and "/" not in name and len(name) <= 100:
        return path
    return "other"


class HttpCounters:
    """Requests by route and status, and their durations by route, in one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "aggregator_http_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "aggregator_http_request_duration_seconds",
            "Time to answer an HTTP request (until the body is handed over)",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )


class HttpMetrics:
    """WSGI middleware counting requests by route and status, and timing them by route."""

    def __init__(self, app: WSGIApplication, counters: HttpCounters) -> None:
        self.app = app
        self.requests = counters.requests
        self.seconds = counters.seconds

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "") or "/"
        seen: list[int] = []

        def recording(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> object:
            seen.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)  # type: ignore[arg-type]

        try:
            return self.app(environ, recording)  # type: ignore[arg-type]
        finally:
            status = seen[-1] if seen else 500
            route = route_of(path, status)
            self.requests.labels(route, str(status)).inc()
            self.seconds.labels(route).observe(time.perf_counter() - started)


class SourceHealthCollector(Collector):
    """Read at every scrape: last success per source, failing sources, the due backlog."""

    def __init__(self, states: States, clock: Callable[[], datetime] = utcnow) -> None:
        self.states = states
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        last = GaugeMetricFamily(
            "aggregator_source_last_success_timestamp_seconds",
            "When each source was last polled successfully (Unix time), from the database",
            labels=["source"],
        )
        try:
            states = list(self.states())
        except Exception:  # a scrape must not fail because the database is briefly away
            yield _gauge("aggregator_failing_sources", float("nan"))
            yield _gauge("aggregator_due_sources", float("nan"))
            return
        for state in states:
            if state.last_success_at is not None:
                last.add_metric([state.source_id], state.last_success_at.timestamp())
        yield last
        yield _gauge("aggregator_failing_sources", sum(s.status in FAILING for s in states))
        now = self.clock()
        yield _gauge("aggregator_due_sources", sum(_due(s, now) for s in states))

    def describe(self) -> Sequence[GaugeMetricFamily]:
        return []


def _due(state: SourceState, now: datetime) -> bool:
    if state.status in NOT_POLLED:
        return False
    return state.next_poll_at is None or state.next_poll_at <= now


def _gauge(name: str, value: float) -> GaugeMetricFamily:
    helps = {
        "aggregator_failing_sources": "Sources whose last poll failed (error, backoff, gone)",
        "aggregator_due_sources": "Sources due for a poll now (backlog), from the database",
    }
    return GaugeMetricFamily(name, helps[name], value=value)


def with_metrics(app: WSGIApplication, states: States | None = None) -> WSGIApplication:
    """`app` with `/metrics` answered in front of it (a registry of its own) and every request
    counted; with `states`, the sources' health gauges too."""
    registry = CollectorRegistry(auto_describe=True)
    if states is not None:
        registry.register(SourceHealthCollector(states))
    metrics_app: WSGIApplication = make_wsgi_app(registry)

    def dispatch(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/metrics":
            return metrics_app(environ, start_response)
        return app(environ, start_response)

    return HttpMetrics(dispatch, HttpCounters(registry))


def metrics_only_app(registry: CollectorRegistry) -> WSGIApplication:
    """For a node that serves nothing else (a worker): /metrics, /healthz, 404 elsewhere."""
    metrics_app: WSGIApplication = make_wsgi_app(registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        status, body = ("200 OK", b"ok\n") if path == "/healthz" else ("404 Not Found", b"")
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app
