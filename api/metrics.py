"""Prometheus metrics: jobs by state, queue depth, workers, solve seconds, HTTP requests.

Job counts are read from the database at scrape time, so they are right across restarts
and whichever process ran the job. Each app has its own registry (tests build many apps).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from api.store import Store
    from api.worker import WorkerPool

SOLVE_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _StateCollector(Collector):
    """Gauges computed on scrape: jobs by state, queue depth, workers."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        store, pool = self.metrics.store, self.metrics.pool
        if store is not None:
            counts = store.counts_by_state()
            jobs = GaugeMetricFamily("freshroute_jobs", "Jobs by state.", labels=["state"])
            for state, n in counts.items():
                jobs.add_metric([state], n)
            yield jobs
            yield GaugeMetricFamily(
                "freshroute_queue_depth", "Jobs waiting for a worker.", value=counts["queued"]
            )
        if pool is not None:
            yield GaugeMetricFamily(
                "freshroute_workers", "Configured worker processes.", value=pool.size
            )
            yield GaugeMetricFamily(
                "freshroute_workers_alive", "Worker processes alive.", value=pool.alive()
            )
            yield GaugeMetricFamily(
                "freshroute_workers_busy", "Worker processes solving.", value=pool.running()
            )


class Metrics:
    """The registry of one app and the instruments the service updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.store: Store | None = None
        self.pool: WorkerPool | None = None
        self.http_requests = Counter(
            "freshroute_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "freshroute_http_request_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.solve_seconds = Histogram(
            "freshroute_solve_seconds",
            "Wall seconds a worker spent on a job, by outcome.",
            ["outcome"],
            buckets=SOLVE_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StateCollector(self))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HTTPMetricsMiddleware:
    """Counts and times every HTTP request by its route template (bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            method = method if method in METHODS else "other"
            self.metrics.http_requests.labels(method, template, str(status[0])).inc()
            self.metrics.http_seconds.labels(method, template).observe(
                time.perf_counter() - started
            )
