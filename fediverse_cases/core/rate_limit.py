"""Per-token and per-IP rate limits for the client API: a sliding window kept per process
(``AppState.api_rate_limiter``). Stdlib only.

Why per process: the API is served by one process per instance in our deployments, and a
database round trip per request would cost more than the requests it protects. With several
server processes each enforces its own window (the effective limit multiplies by the process
count); the limits are documented in docs/API.md. Headers follow Mastodon: ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (ISO 8601); 429 when a window is full.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

WINDOW_SECONDS = 300.0
TOKEN_LIMIT = 300
IP_LIMIT = 1500
MAX_KEYS = 50_000  # bounds memory under a flood of distinct addresses


@dataclass(frozen=True)
class RateLimits:
    token_limit: int = TOKEN_LIMIT
    ip_limit: int = IP_LIMIT
    window_seconds: float = WINDOW_SECONDS


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the oldest counted request leaves the window

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, UTC).isoformat(timespec="milliseconds")
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
        }


@dataclass
class SlidingWindowLimiter:
    limits: RateLimits = field(default_factory=RateLimits)
    clock: object = time.time
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def _check(self, key: str, limit: int) -> Verdict:
        now = self.clock()  # type: ignore[operator]
        window = self.limits.window_seconds
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return Verdict(False, limit, 0, hits[0] + window)
        hits.append(now)
        return Verdict(True, limit, limit - len(hits), hits[0] + window)

    def _forget_idle(self, now: float) -> None:
        cutoff = now - self.limits.window_seconds
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[key]

    def count(self, key: str, limit: int) -> Verdict:
        """Count one event under any key (e.g. "withdraw-ip:<addr>"); refused once ``limit`` is reached."""
        return self._check(key, limit)

    def hit(self, *, ip: str, token_id: int | None) -> Verdict:
        """Count one request; the verdict of the tighter applicable window is returned."""
        by_ip = self._check(f"ip:{ip}", self.limits.ip_limit)
        if not by_ip.allowed or token_id is None:
            return by_ip
        by_token = self._check(f"token:{token_id}", self.limits.token_limit)
        return by_token if (not by_token.allowed or by_token.remaining <= by_ip.remaining) else by_ip
