"""Prometheus metrics owned by one service (its own registry, so tests and nodes never share).

Poll outcomes and publish durations are recorded as they happen; the backlog of due sources is
computed when /metrics is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from wsgiref.types import WSGIApplication

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aggregator.models import PollOutcome

FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, backlog: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.polls = Counter(
            "aggregator_polls", "Polls by source and result", ["source", "result"], registry=r
        )
        self.errors = Counter(
            "aggregator_poll_errors", "Failed polls by source", ["source"], registry=r
        )
        self.fetch_seconds = Histogram(
            "aggregator_fetch_duration_seconds",
            "Time to fetch and parse one source",
            ["source"],
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self.items = Counter(
            "aggregator_items", "Items stored by what happened", ["kind"], registry=r
        )
        self.publish_seconds = Histogram(
            "aggregator_publish_duration_seconds", "Time to regenerate every output", registry=r
        )
        self.last_success = Gauge(
            "aggregator_last_success_timestamp_seconds",
            "When a source was last polled successfully (Unix time)",
            ["source"],
            registry=r,
        )
        if backlog is not None:
            r.register(_BacklogCollector(backlog))

    def record_outcomes(self, outcomes: Iterable[PollOutcome], *, at: float) -> None:
        for outcome in outcomes:
            self.record_outcome(outcome, at=at)

    def record_outcome(self, outcome: PollOutcome, *, at: float) -> None:
        source = outcome.source_id
        result = "ok" if outcome.ok else "error"
        if outcome.ok and outcome.not_modified:
            result = "not_modified"
        self.polls.labels(source, result).inc()
        self.fetch_seconds.labels(source).observe(outcome.elapsed)
        if not outcome.ok:
            self.errors.labels(source).inc()
            return
        self.last_success.labels(source).set(at)
        for kind in ("new", "updated", "merged"):
            self.items.labels(kind).inc(getattr(outcome, kind))

    def wsgi_app(self) -> WSGIApplication:
        app: WSGIApplication = make_wsgi_app(self.registry)
        return app


class _BacklogCollector(Collector):
    def __init__(self, backlog: Callable[[], int]) -> None:
        self.backlog = backlog

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            value = float(self.backlog())
        except Exception:  # a scrape must not fail because the database is briefly away
            value = float("nan")
        yield GaugeMetricFamily(
            "aggregator_due_sources", "Enabled sources due for a poll now (backlog)", value=value
        )

    def describe(self) -> Sequence[GaugeMetricFamily]:
        return [GaugeMetricFamily("aggregator_due_sources", "Enabled sources due for a poll now")]
