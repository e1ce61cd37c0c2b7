"""A circuit breaker: after ``threshold`` consecutive failures stop calling the LLM for ``cooldown_s``.

While the breaker is open every turn goes straight to the rules backend instead of waiting for a
timeout first, so a dead endpoint costs the shopper nothing. After the cooldown one call is let
through (half-open): success closes the breaker, failure opens it for another cooldown. The clock
is injected so the behaviour is testable without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    threshold: int = 3
    cooldown_s: float = 30.0
    clock: Callable[[], float] = field(default=time.monotonic)
    failures: int = 0
    opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        """May the next call go to the LLM?"""
        return self.state != "open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> None:
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.threshold:
            # a failed half-open probe re-opens for a full cooldown
            self.opened_at = self.clock()
