"""The delivery retry table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fediverse_cases.federation.retry import (
    BASE_DELAY,
    GIVE_UP_AFTER,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    next_attempt,
    parse_retry_after,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FixedRng:
    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def uniform(self, a: float, b: float) -> float:
        assert (a, b) == (0.8, 1.2)
        return self.factor


@pytest.mark.parametrize(
    ("attempts", "status", "retry_after", "action", "delay"),
    [
        (1, 200, None, "done", None),
        (1, 202, None, "done", None),
        (3, 204, None, "done", None),
        (1, 400, None, "fail", None),
        (1, 403, None, "fail", None),
        (1, 404, None, "fail", None),
        (1, 410, None, "fail", None),
        (1, 422, None, "fail", None),
        (1, 301, None, "fail", None),
        (1, 401, None, "retry", BASE_DELAY),
        (1, 408, None, "retry", BASE_DELAY),
        (1, 500, None, "retry", BASE_DELAY),
        (2, 502, None, "retry", BASE_DELAY * 2),
        (3, 504, None, "retry", BASE_DELAY * 4),
        (4, None, None, "retry", BASE_DELAY * 8),
        (15, None, None, "retry", MAX_BACKOFF),
        (1, 429, "120", "retry", timedelta(seconds=120)),
        (1, 503, "Sun, 01 Mar 2026 12:10:00 GMT", "retry", timedelta(minutes=10)),
        (1, 503, "Sun, 01 Mar 2026 11:00:00 GMT", "retry", timedelta(0)),
        (1, 429, "999999", "retry", MAX_RETRY_AFTER),
        (2, 429, None, "retry", BASE_DELAY * 2),
        (2, 429, "soon", "retry", BASE_DELAY * 2),
        (1, 500, "60", "retry", BASE_DELAY),  # Retry-After only honoured on 429/503
    ],
)
def test_retry_table(
    attempts: int, status: int | None, retry_after: str | None, action: str, delay: timedelta | None
) -> None:
    decision = next_attempt(attempts, status, retry_after, T0, T0, rng=FixedRng())
    assert decision.action == action
    if delay is None:
        assert decision.next_attempt_at is None and decision.final
    else:
        assert decision.next_attempt_at == T0 + delay and not decision.final


@pytest.mark.parametrize("factor", [0.8, 1.1999])
def test_jitter_bounds(factor: float) -> None:
    decision = next_attempt(3, 500, None, T0, T0, rng=FixedRng(factor))
    assert decision.next_attempt_at == T0 + BASE_DELAY * 4 * factor


def test_real_rng_stays_within_jitter() -> None:
    for _ in range(50):
        decision = next_attempt(2, None, None, T0, T0)
        assert decision.next_attempt_at is not None
        assert T0 + BASE_DELAY * 2 * 0.8 <= decision.next_attempt_at <= T0 + BASE_DELAY * 2 * 1.2


def test_gives_up_after_bounded_time() -> None:
    now = T0 + GIVE_UP_AFTER - timedelta(minutes=1)
    decision = next_attempt(10, 503, None, now, T0, rng=FixedRng())
    assert decision.action == "give_up" and decision.final
    # A Retry-After pushing past the limit gives up too.
    assert (
        next_attempt(1, 429, "300000", T0 + timedelta(days=2, hours=13), T0, rng=FixedRng()).action
        == "give_up"
    )


def test_dead_peer_schedule_is_bounded() -> None:
    now, attempts = T0, 0
    while True:
        attempts += 1
        decision = next_attempt(attempts, None, None, now, T0, rng=FixedRng())
        if decision.action != "retry":
            break
        assert decision.next_attempt_at is not None and decision.next_attempt_at > now
        now = decision.next_attempt_at
    assert decision.action == "give_up"
    assert 10 <= attempts <= 25
    assert now - T0 <= GIVE_UP_AFTER


def test_success_after_give_up_window_is_still_done() -> None:
    assert next_attempt(30, 200, None, T0 + timedelta(days=10), T0).action == "done"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", timedelta(0)),
        (" 30 ", timedelta(seconds=30)),
        ("Sun, 01 Mar 2026 12:01:00 GMT", timedelta(minutes=1)),
        ("not a date", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, T0) == expected


def test_each_queue_sets_its_own_horizon() -> None:
    """The inbox worker retries handler failures over an hour, not a delivery's three days."""
    hour = timedelta(hours=1)
    early = next_attempt(
        1, None, None, T0, T0, FixedRng(1.0), give_up_after=hour, base_delay=timedelta(seconds=10)
    )
    assert early.action == "retry" and early.next_attempt_at == T0 + timedelta(seconds=10)
    late = next_attempt(3, None, None, T0 + timedelta(minutes=59), T0, FixedRng(1.0), give_up_after=hour)
    assert late.action == "give_up"
    assert next_attempt(5, None, None, T0, T0, FixedRng(1.0), max_attempts=5).action == "give_up"
