"""Request observability: one access-log line per request, and Prometheus metrics at /metrics.

``init_observability(app, state)`` wraps the ASGI app in ``RequestObserver``, which times every
request from its first byte in to its last byte out (errors, 413s and static files included)
and then writes one access-log line (``[logging] access_log``: text, JSON or off) and records
the latency histogram. The log names the path without its query string, because query strings
carry OAuth codes and tokens.

``/metrics`` answers requests made on this machine directly (a loopback address and no
forwarding header, so requests relayed by a local nginx do not count), or carrying
``Authorization: Bearer <[metrics] token>``; anyone else gets 404. Besides latency it reports
what is cheap to count at scrape time: pending deliveries per peer, inbox items per state,
local cases per state, and de-identification jobs per state with the age of the oldest waiting one. Each process has its own registry (no module globals): with several
hypercorn workers a scrape sees the latency of the worker that answered it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from quart import Quart, Response, abort, request

from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.repositories import operations

ACCESS_LOGGER = "fediverse_cases.access"
ROUTE_KEY = "fediverse_cases.route"
FORWARDING_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Metrics:
    registry: CollectorRegistry
    latency: Histogram
    pending_deliveries: Gauge
    inbox_items: Gauge
    cases: Gauge
    deid_jobs: Gauge
    deid_oldest: Gauge

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            latency=Histogram(
                "fediverse_cases_http_request_duration_seconds",
                "Time from the first byte of a request to the last byte of its answer.",
                ("method", "route", "status"),
                registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            ),
            pending_deliveries=Gauge(
                "fediverse_cases_deliveries_pending",
                "Outgoing deliveries waiting to be sent, per peer host.",
                ("peer",),
                registry=registry,
            ),
            inbox_items=Gauge(
                "fediverse_cases_inbox_items",
                "Received activities per processing state.",
                ("state",),
                registry=registry,
            ),
            cases=Gauge("fediverse_cases_cases", "Local cases per state.", ("state",), registry=registry),
            deid_jobs=Gauge(
                "fediverse_cases_deid_jobs",
                "Image de-identification jobs per state (pending: waiting or running).",
                ("state",),
                registry=registry,
            ),
            deid_oldest=Gauge(
                "fediverse_cases_deid_job_oldest_pending_seconds",
                "Age of the oldest de-identification job still waiting or running (0: none).",
                registry=registry,
            ),
        )


def access_logger() -> logging.Logger:
    """The access logger, writing bare lines to stderr unless the operator configured it."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def access_line(fmt: str, scope: Scope, status: int, size: int, seconds: float) -> str:
    client = scope.get("client") or ("-", 0)
    method, path = scope.get("method", "-"), scope.get("path", "-")
    if fmt == "json":
        return json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "remote": client[0],
                "method": method,
                "path": path,
                "route": scope.get(ROUTE_KEY, ""),
                "status": status,
                "bytes": size,
                "duration_ms": round(seconds * 1000, 2),
            },
            separators=(",", ":"),
        )
    return f'{client[0]} "{method} {path}" {status} {size}B {seconds * 1000:.1f}ms'


class RequestObserver:
    """ASGI middleware: time each HTTP request, then log it and record its latency."""

    def __init__(self, app: ASGIApp, log_format: str, metrics: Metrics) -> None:
        self.app = app
        self.log_format = log_format
        self.metrics = metrics
        self.logger = access_logger() if log_format != "off" else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, size = 500, 0

        async def observing_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get(ROUTE_KEY) or "unmatched"
            self.metrics.latency.labels(scope.get("method", ""), route, str(status)).observe(seconds)
            if self.logger is not None:
                self.logger.info(access_line(self.log_format, scope, status, size, seconds))


def metrics_allowed(remote_addr: str | None, headers: Any, token: str) -> bool:
    """Loopback without a proxy in between, or the configured bearer token."""
    if token:
        presented = headers.get("Authorization", "")
        if presented.startswith("Bearer ") and hmac.compare_digest(presented[7:].encode(), token.encode()):
            return True
    if any(headers.get(name) for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False


def init_observability(app: Quart, state: AppState) -> None:
    metrics = Metrics.create()
    observed = state.settings.observability
    app.asgi_app = RequestObserver(app.asgi_app, observed.access_log, metrics)  # type: ignore[method-assign]

    @app.after_request
    async def remember_route(response: Response) -> Response:
        # The route pattern, not the path: bounded label values for the latency histogram.
        request.scope[ROUTE_KEY] = request.url_rule.rule if request.url_rule else "unmatched"
        return response

    async def metrics_view() -> Response:
        if not metrics_allowed(request.remote_addr, request.headers, observed.metrics_token):
            abort(404)
        async with state.sessionmaker() as db:
            counts = (
                (metrics.pending_deliveries, await operations.pending_deliveries_by_peer(db)),
                (metrics.inbox_items, await operations.inbox_items_by_state(db)),
                (metrics.cases, await operations.cases_by_state(db)),
                (metrics.deid_jobs, await operations.deid_jobs_by_state(db)),
            )
            oldest = await operations.oldest_waiting_deid_job(db)
        metrics.deid_oldest.set((utcnow() - oldest).total_seconds() if oldest else 0.0)
        for gauge, values in counts:
            gauge.clear()
            for label, count in values.items():
                gauge.labels(label).set(count)
        return Response(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
