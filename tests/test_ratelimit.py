"""The shared rate limiter, on an injected clock: pacing, adapting, pausing, the daily budget."""

from __future__ import annotations

import asyncio
import random

import pytest

from mediasync.errors import BudgetExhaustedError
from mediasync.ratelimit import MARGIN_S, RateLimiter
from tests.helpers import Clock


def limiter(clock: Clock, max_requests: int = 3) -> RateLimiter:
    return RateLimiter(clock, clock.sleep, random.Random(3), max_requests, interval=10.0)


async def send_times(limit: RateLimiter, clock: Clock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await limit.acquire()
        times.append(clock.now)
    return times


@pytest.mark.parametrize("max_requests", [1, 3, 25])
async def test_no_window_ever_holds_more_than_the_limit(max_requests: int) -> None:
    clock = Clock()
    times = await send_times(limiter(clock, max_requests), clock, max_requests * 4 + 1)
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + 10.0) <= max_requests
    # ...and no slower than needed: each batch starts as soon as the window frees.
    assert times[-1] == pytest.approx(4 * (10.0 + MARGIN_S))


async def test_adapts_to_the_advertised_limit() -> None:
    clock = Clock()
    limit = limiter(clock, 25)
    limit.observe({"x-ratelimit-max": "100", "x-ratelimit-interval-milliseconds": "10000"})
    times = await send_times(limit, clock, 100)
    assert times[-1] == 0.0
    limit.observe({"x-ratelimit-max": "25", "x-ratelimit-interval-milliseconds": "5000"})
    assert (limit.max_requests, limit.interval) == (25, 5.0)


async def test_concurrent_workers_share_one_window() -> None:
    clock = Clock()
    limit = limiter(clock, 4)
    sent: list[float] = []

    async def worker() -> None:
        for _ in range(3):
            await limit.acquire()
            sent.append(clock.now)

    async with asyncio.TaskGroup() as group:
        for _ in range(4):
            group.create_task(worker())
    assert len(sent) == 12
    for i, start in enumerate(sorted(sent)):
        assert sum(1 for t in sorted(sent)[i:] if t < start + 10.0) <= 4


async def test_429_pauses_everyone_for_an_interval_with_jitter() -> None:
    clock = Clock()
    limit = limiter(clock, 100)
    limit.throttle({"x-ratelimit-interval-milliseconds": "10000"})
    await limit.acquire()
    await limit.acquire()
    assert len(clock.waits) == 1 and 10.0 <= clock.waits[0] <= 12.0
    assert limit.throttled == 1


async def test_an_exhausted_window_we_did_not_fill_means_someone_shares_it() -> None:
    clock = Clock()
    limit = limiter(clock, 25)
    await limit.acquire()
    limit.observe({"x-ratelimit-max": "25", "x-ratelimit-remaining": "0"})
    await limit.acquire()
    assert clock.waits == [10.0]


async def test_a_window_we_filled_ourselves_costs_no_extra_pause() -> None:
    clock = Clock()
    limit = limiter(clock, 2)
    await limit.acquire()
    await limit.acquire()
    limit.observe({"x-ratelimit-max": "2", "x-ratelimit-remaining": "0"})
    await limit.acquire()
    assert clock.waits == [10.0 + MARGIN_S]


async def test_daily_budget_stops_until_it_resets() -> None:
    clock = Clock()
    limit = limiter(clock)
    limit.observe({"x-ratelimit-daily-remaining": "0", "x-ratelimit-daily-reset": "3600000"})
    with pytest.raises(BudgetExhaustedError, match=r"resets in 1\.0 h"):
        await limit.acquire()
    clock.now += 3600
    await limit.acquire()


async def test_a_huge_limit_keeps_only_the_recent_window_of_sends() -> None:
    # Every answer is observed; a limiter that kept each send would slow down as a run grows.
    clock = Clock()
    limit = limiter(clock, 1_000_000)
    for _ in range(200):
        await limit.acquire()
        limit.observe({"x-ratelimit-remaining": "999999"})
        await clock.sleep(1.0)
    assert len(limit._sent) <= 12
