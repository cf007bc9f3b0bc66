"""The client-side rate limiter: one per location, shared by every worker.

It keeps a sliding window of our own send times so that no `interval` ever holds more than
`max_requests` of them, starting conservatively (the trial limit) and adapting to the
`x-ratelimit-*` headers of every answer. A 429 pauses every worker together for one interval
plus jitter (or the `Retry-After`, should the service ever send one). When the daily budget is
spent it stops the run and says when the budget comes back.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

from mediasync.errors import BudgetExhaustedError

Sleep = Callable[[float], Awaitable[None]]

# Trial accounts allow 25 requests per 10 s; nobody is refused for starting there.
START_MAX = 25
START_INTERVAL_S = 10.0
# Our send time and the server's arrival time differ by the latency; keep this much slack.
MARGIN_S = 0.25
# How far back our own sends still count when the server says its window is full.
SHARED_SLACK_S = 1.0


class RateLimiter:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        max_requests: int = START_MAX,
        interval: float = START_INTERVAL_S,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.max_requests = max_requests
        self.interval = interval
        self._sent: deque[float] = deque()
        self._resume_at = 0.0
        self._budget_back_at: float | None = None
        self._lock = asyncio.Lock()
        self.requests = 0
        self.throttled = 0
        self.seen: dict[str, str] = {}  # the last answer's x-ratelimit-* headers, lower-cased

    async def acquire(self) -> None:
        """Wait until one more request fits; workers queue here in arrival order."""
        async with self._lock:
            while True:
                now = self._clock()
                self._check_budget(now)
                wait = self._resume_at - now
                if len(self._sent) >= self.max_requests:
                    oldest = self._sent[-self.max_requests]
                    wait = max(wait, oldest + self.interval + MARGIN_S - now)
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._sent.append(now)
            # Sends older than the window (and the slack `observe` allows) can never make
            # anyone wait again; without this, a large limit would keep every send for good.
            horizon = now - self.interval - SHARED_SLACK_S
            while len(self._sent) > self.max_requests or self._sent[0] <= horizon:
                self._sent.popleft()
            self.requests += 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the limits from an answer's x-ratelimit-* headers (any case)."""
        now = self._clock()
        seen = {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}
        if seen:
            self.seen = seen
        interval_ms = _number(headers.get("x-ratelimit-interval-milliseconds"))
        if interval_ms and interval_ms > 0:
            self.interval = interval_ms / 1000
        limit = _number(headers.get("x-ratelimit-max"))
        if limit and limit >= 1:
            self.max_requests = int(limit)
        remaining = _number(headers.get("x-ratelimit-remaining"))
        # Counted only when the window is full: every answer would otherwise walk all sends.
        if remaining == 0 and self._recent_sends(now) < self.max_requests:
            # Someone else shares this budget (all PITs of a trial account do): back off.
            self._resume_at = max(self._resume_at, now + self.interval)
        daily_left = _number(headers.get("x-ratelimit-daily-remaining"))
        if daily_left is not None and daily_left <= 0:
            reset_ms = _number(headers.get("x-ratelimit-daily-reset")) or 0
            self._budget_back_at = now + reset_ms / 1000

    def throttle(self, headers: Mapping[str, str]) -> None:
        """A 429: every worker waits out the interval, with jitter so they do not return at once."""
        self.throttled += 1
        self.observe(headers)
        now = self._clock()
        retry_after = _number(headers.get("retry-after"))
        pause = (
            retry_after
            if retry_after is not None
            else self.interval * (1 + 0.2 * self._rng.random())
        )
        self._resume_at = max(self._resume_at, now + pause)
        self._check_budget(now)

    def _recent_sends(self, now: float) -> int:
        # Arrival and answer times differ from our send times: count a little generously.
        return sum(1 for t in self._sent if t > now - self.interval - SHARED_SLACK_S)

    def _check_budget(self, now: float) -> None:
        if self._budget_back_at is None:
            return
        if now >= self._budget_back_at:
            self._budget_back_at = None
            return
        hours = (self._budget_back_at - now) / 3600
        raise BudgetExhaustedError(
            f"the daily API budget of this location is used up; it resets in {hours:.1f} h: "
            "run again then (nothing is lost, the next run continues where this one stopped)"
        )


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
