"""The retry policy for remote calls, built on tenacity.

Only errors classed as retryable are retried (errors.classify). Waits grow exponentially with
full jitter up to a cap; a 429 waits what the error names (the HTTP client's rate limiter
already holds every worker back, so it names zero). A 429 does not use up an attempt: only
the deadline bounds how long a call may wait for the budget. `sleep`, `clock` and `rng` are
injected so that tests record the waits instead of sleeping.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from mediasync.errors import RateLimitedError, is_retryable

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    max_wait: float = 60.0
    base_wait: float = 1.0
    deadline: float = 900.0
    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)


class _WaitForServer(wait_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        error = _error_of(retry_state)
        if isinstance(error, RateLimitedError) and error.wait is not None:
            return error.wait * (1 + 0.1 * self._policy.rng.random())
        ceiling = min(self._policy.max_wait, self._policy.base_wait * 2**retry_state.attempt_number)
        return self._policy.rng.uniform(0, ceiling)


class _StopAfterFailuresOrDeadline(stop_base):
    """Give up after `attempts` real failures (429s excepted) or once the deadline passed."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._started = policy.clock()
        self._failures = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        if not isinstance(_error_of(retry_state), RateLimitedError):
            self._failures += 1
        overdue = self._policy.clock() - self._started >= self._policy.deadline
        return self._failures >= self._policy.attempts or overdue


def retrying(policy: RetryPolicy) -> AsyncRetrying:
    """A fresh retry loop: `async for attempt in retrying(p): with attempt: ...`."""
    return AsyncRetrying(
        stop=_StopAfterFailuresOrDeadline(policy),
        wait=_WaitForServer(policy),
        retry=retry_if_exception(is_retryable),
        sleep=policy.sleep,
        reraise=True,
    )


async def call_with_retries(policy: RetryPolicy, call: Callable[[], Awaitable[T]]) -> T:
    """Run `call` (a fresh coroutine each attempt) under the policy."""
    async for attempt in retrying(policy):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity reraises the last error")


def _error_of(retry_state: RetryCallState) -> BaseException | None:
    outcome = retry_state.outcome
    return outcome.exception() if outcome is not None else None
