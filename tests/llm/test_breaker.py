"""The circuit breaker, on an injected clock."""

from __future__ import annotations

from app.llm.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_stays_closed_below_the_threshold() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_s=30, clock=Clock())
    breaker.failure()
    breaker.failure()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_opens_after_threshold_consecutive_failures() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_s=30, clock=Clock())
    for _ in range(3):
        breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_s=30, clock=Clock())
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert breaker.allow()


def test_lets_one_probe_through_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=30, clock=clock)
    breaker.failure()
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state == "half_open"
    assert breaker.allow()


def test_a_failed_probe_reopens_for_a_full_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown_s=30, clock=clock)
    breaker.failure()
    breaker.failure()
    clock.now += 30
    breaker.failure()
    assert breaker.state == "open"
    clock.now += 29
    assert not breaker.allow()


def test_a_successful_probe_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=30, clock=clock)
    breaker.failure()
    clock.now += 30
    breaker.success()
    assert breaker.state == "closed"
