"""Prometheus metrics: the metric objects every part of the server increments, the request
middleware that counts and times requests by route template, the database pool sampler, and
the `/metrics` text.

With `startline serve` every worker process writes its values to files in one directory
(`PROMETHEUS_MULTIPROC_DIR`, prepared by `startline.http.serving` before this module is
imported) and a scrape of any worker adds them all up. Without that variable (tests, an
embedded app) the values live in this process."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from startline.http.logging import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"  # no route: the raw path would make one series per URL scanned
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "startline_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
REQUEST_DURATION = Histogram(
    "startline_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
ERRORS = Counter(
    "startline_http_errors",
    "Requests that failed on the server: kind=database_unavailable (answered 503 with "
    "Retry-After) or kind=unhandled (an unexpected exception, answered 500: a bug).",
    ["kind"],
)
DATABASE_UNAVAILABLE = ERRORS.labels(kind="database_unavailable")
UNHANDLED_ERRORS = ERRORS.labels(kind="unhandled")

POOL_SIZE = Gauge(
    "startline_db_pool_size",
    "Database connections each pool keeps open, summed over the server's processes.",
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "startline_db_pool_checked_out",
    "Database connections in use right now, summed over the server's processes.",
    multiprocess_mode="livesum",
)
POOL_OVERFLOW = Gauge(
    "startline_db_pool_overflow",
    "Connections open beyond the pool size (the pool's overflow), summed over the "
    "server's processes.",
    multiprocess_mode="livesum",
)

TRACX_BATCH_ITEMS = Histogram(
    "startline_tracx_batch_items",
    "Participants per Tracx batch request (POST /v1/connect/events/{id}/participants).",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 10000, 25000, 50000),
)

# Incremented by the webhook sender, one per delivery attempt.
WEBHOOK_DELIVERIES = Counter(
    "startline_webhook_deliveries",
    "Webhook delivery attempts the receiver accepted (a 2xx answer).",
)
WEBHOOK_DELIVERY_FAILURES = Counter(
    "startline_webhook_delivery_failures",
    "Webhook delivery attempts that failed (no connection, timeout, or a non-2xx answer); "
    "each is retried on the schedule until it succeeds or is given up.",
)


def is_multiprocess() -> bool:
    """Whether values go to the shared directory (decided when prometheus_client loaded)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


_multiprocess_registry: CollectorRegistry | None = None


def exposition() -> bytes:
    """The `/metrics` body: every process's values when several serve, else this one's."""
    global _multiprocess_registry
    if not is_multiprocess():
        return generate_latest(REGISTRY)
    if _multiprocess_registry is None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        _multiprocess_registry = registry
    return generate_latest(_multiprocess_registry)


def process_stopping() -> None:
    """Drop this process's live gauges (pool use) from the sums: it no longer holds any."""
    if is_multiprocess():
        multiprocess.mark_process_dead(os.getpid())


class PoolSampler:
    """Reads the pool's use into the gauges once a second from a thread of its own: no cost
    on the request path (listening to every checkout and checkin cost ~14 µs a request with
    the shared directory), and a second's staleness is nothing beside a scrape interval."""

    def __init__(self, engine: Engine, interval_seconds: float = 1.0) -> None:
        self.pool = engine.pool
        self.interval = interval_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not isinstance(self.pool, QueuePool) or self._thread is not None:
            return
        self.sample()
        self._thread = threading.Thread(target=self._run, name="pool-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def sample(self) -> None:
        pool = self.pool
        if not isinstance(pool, QueuePool):
            return
        POOL_SIZE.set(pool.size())
        POOL_CHECKED_OUT.set(pool.checkedout())
        POOL_OVERFLOW.set(max(pool.overflow(), 0))

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.sample()


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # (method, route, status) -> the two children; bounded: methods are a closed set,
        # routes are templates, statuses few.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        if method not in _METHODS:
            method = "OTHER"
        route = getattr(scope.get("route"), "path", None) or UNMATCHED
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                REQUESTS.labels(method, route, str(status)),
                REQUEST_DURATION.labels(method, route),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)
