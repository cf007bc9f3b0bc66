"""Blocking file access from the event loop: done inline while the disk answers fast, and in
a worker thread for the rest of the run once one call has proved it slow.

A thread hop hands the GIL over twice, which for a small file costs more than the stat, the
read and the hash put together: three hops made 1.4 ms of CPU per 100 KB upload, none
0.9 ms (docs/benchmarks.md). On a slow or network mount one call can take milliseconds,
though, and then it must not stall every transfer in flight: once `patience` calls have
been slower than `slow` seconds, every later call goes to a thread. (One slow call proves
little: on a busy machine the process may just have lost the CPU for a while.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

SLOW_S = 0.010
PATIENCE = 3


class DiskAccess:
    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        slow: float = SLOW_S,
        patience: int = PATIENCE,
    ) -> None:
        self._clock = clock
        self._slow = slow
        self._patience = patience
        self.slow_calls = 0
        self.inline = True

    async def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        if not self.inline:
            return await asyncio.to_thread(fn, *args, **kwargs)
        start = self._clock()
        try:
            return fn(*args, **kwargs)
        finally:
            if self._clock() - start > self._slow:
                self.slow_calls += 1
                self.inline = self.slow_calls < self._patience


def threaded() -> DiskAccess:
    """Access that always uses a thread (for callers that never measured their disk)."""
    access = DiskAccess()
    access.inline = False
    return access
