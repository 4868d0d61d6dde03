"""Delivery retry policy: one pure function, ``next_attempt``. No I/O, no database.

- 2xx: done.
- 429 and 503: retry, honouring ``Retry-After`` (delta-seconds or HTTP-date), capped at
  ``MAX_RETRY_AFTER``; without a usable header, back off as below.
- 5xx, 408, 401, and no response at all (timeout, connection error: ``status=None``): retry
  with exponential backoff and jitter. 401 is retried because the usual cause is transient
  (the peer's cached copy of our key after a rotation, or clock skew).
- Every other status (other 4xx, 3xx): final failure, retrying cannot help.
- A retry that would fall later than ``GIVE_UP_AFTER`` (3 days) after the first attempt, or
  beyond ``MAX_ATTEMPTS``, becomes ``give_up``: the caller marks the peer unreachable.

Backoff: ``BASE_DELAY * 2**(attempts-1)`` capped at ``MAX_BACKOFF``, times a jitter factor in
[0.8, 1.2) so many deliveries to one recovering peer do not arrive in lock-step. With these
numbers a dead peer is tried 18 times over the 3 days (Mastodon: 16, microblog.pub: 16).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

__all__ = [
    "BASE_DELAY",
    "GIVE_UP_AFTER",
    "MAX_ATTEMPTS",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "RetryDecision",
    "backoff_delay",
    "next_attempt",
    "parse_retry_after",
]

BASE_DELAY = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=8)
MAX_RETRY_AFTER = timedelta(hours=12)
GIVE_UP_AFTER = timedelta(days=3)
MAX_ATTEMPTS = 25
JITTER = (0.8, 1.2)

_RETRY_STATUSES = frozenset({401, 408})
_RETRY_AFTER_STATUSES = frozenset({429, 503})

Action = Literal["done", "retry", "fail", "give_up"]


class _Rng(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True)
class RetryDecision:
    """``retry`` carries ``next_attempt_at``; ``fail`` and ``give_up`` are final."""

    action: Action
    reason: str
    next_attempt_at: datetime | None = None

    @property
    def final(self) -> bool:
        return self.action != "retry"


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Delay requested by a Retry-After header, or None when absent or unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def backoff_delay(
    attempts: int,
    rng: _Rng = random,  # type: ignore[assignment]
    base_delay: timedelta = BASE_DELAY,
) -> timedelta:
    exponent = min(max(attempts - 1, 0), 30)  # keep 2**n small; the cap applies anyway
    base = min(base_delay * (2**exponent), MAX_BACKOFF)
    return base * rng.uniform(*JITTER)


def next_attempt(
    attempts: int,
    status: int | None,
    retry_after: str | None,
    now: datetime,
    first_attempt_at: datetime,
    rng: _Rng = random,  # type: ignore[assignment]
    *,
    give_up_after: timedelta = GIVE_UP_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
    base_delay: timedelta = BASE_DELAY,
) -> RetryDecision:
    """Decide what to do after attempt number ``attempts`` (1 for the first) ended with
    ``status`` (None: no HTTP response, or a failure with no status such as a handler error).
    ``give_up_after``, ``max_attempts`` and ``base_delay`` let each queue set its own horizon
    (deliveries: the instance's ``delivery_give_up_days``; inbox items: minutes)."""
    if status is not None and 200 <= status < 300:
        return RetryDecision("done", f"HTTP {status}")
    reason = "no response (timeout or connection error)" if status is None else f"HTTP {status}"
    retryable = status is None or status >= 500 or status in _RETRY_STATUSES | _RETRY_AFTER_STATUSES
    if not retryable:
        return RetryDecision("fail", f"{reason}: not retryable")

    delay: timedelta | None = None
    if status in _RETRY_AFTER_STATUSES:
        delay = parse_retry_after(retry_after, now)
        if delay is not None:
            delay = min(delay, MAX_RETRY_AFTER)
            reason += " (Retry-After)"
    if delay is None:
        delay = backoff_delay(attempts, rng, base_delay)

    when = now + delay
    if attempts >= max_attempts or when > first_attempt_at + give_up_after:
        return RetryDecision("give_up", f"{reason}: peer unreachable for too long")
    return RetryDecision("retry", reason, when)
