"""Per-token request budgets: a rolling burst window plus a daily quota, and the headers
that advertise them.

GHL meters per app and location; the sandbox has one location, so the presented bearer
token is the budget key. Requests with a wrong or missing token get their own budget so
they can never drain the real token's.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mediasync.sandbox.config import Clock

DAY_SECONDS = 86_400.0


@dataclass
class _Budget:
    recent: deque[float] = field(default_factory=deque)
    day_started: float | None = None
    day_count: int = 0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    headers: dict[str, str]
    retry_after_seconds: float


class RateLimiter:
    def __init__(self, *, max_requests: int, interval_ms: int, daily_limit: int, clock: Clock):
        self._max = max_requests
        self._interval_ms = interval_ms
        self._daily_limit = daily_limit
        self._clock = clock
        self._budgets: dict[str, _Budget] = {}

    def hit(self, key: str) -> RateDecision:
        """Spend one request from `key`'s budget, or refuse without spending."""
        now = self._clock()
        window = self._interval_ms / 1000.0
        budget = self._budgets.setdefault(key, _Budget())
        while budget.recent and budget.recent[0] <= now - window:
            budget.recent.popleft()
        # The observed x-ratelimit-daily-reset (~86 343 000 ms) suggests a 24 h window that
        # opens with the first request rather than a calendar day.
        if budget.day_started is None or now >= budget.day_started + DAY_SECONDS:
            budget.day_started = now
            budget.day_count = 0

        burst_full = len(budget.recent) >= self._max
        day_full = budget.day_count >= self._daily_limit
        allowed = not (burst_full or day_full)
        if allowed:
            budget.recent.append(now)
            budget.day_count += 1

        day_reset = budget.day_started + DAY_SECONDS - now
        if day_full:
            retry_after = day_reset
        elif burst_full:
            retry_after = budget.recent[0] + window - now
        else:
            retry_after = 0.0
        headers = {
            "x-ratelimit-limit-daily": str(self._daily_limit),
            "x-ratelimit-daily-remaining": str(max(0, self._daily_limit - budget.day_count)),
            "x-ratelimit-interval-milliseconds": str(self._interval_ms),
            "x-ratelimit-max": str(self._max),
            "x-ratelimit-remaining": str(max(0, self._max - len(budget.recent))),
            "x-ratelimit-daily-reset": str(max(0, int(day_reset * 1000))),
        }
        return RateDecision(allowed, headers, max(0.0, retry_after))

    def reset(self) -> None:
        self._budgets.clear()
