"""The retry policy for remote calls, built on tenacity.

Only errors classed as retryable are retried (errors.classify). Waits grow exponentially with
full jitter up to a cap; a 429 waits the interval the server named (plus jitter) instead.
`sleep` is injected so that tests record the waits instead of sleeping.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from mediasync.errors import RateLimitedError, is_retryable

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    max_wait: float = 60.0
    base_wait: float = 1.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)


class _WaitForServer(wait_base):
    """Back off exponentially, but after a 429 wait what the server asked (plus up to 10%)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RateLimitedError) and error.wait is not None:
            return error.wait * (1 + 0.1 * self._policy.rng.random())
        ceiling = min(self._policy.max_wait, self._policy.base_wait * 2**retry_state.attempt_number)
        return self._policy.rng.uniform(0, ceiling)


def retrying(policy: RetryPolicy) -> AsyncRetrying:
    """A fresh retry loop: `async for attempt in retrying(p): with attempt: ...`."""
    return AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
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
