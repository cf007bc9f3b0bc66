"""Disk access: inline while calls are fast, in threads for good after one slow call."""

from __future__ import annotations

import threading

import pytest

from mediasync.diskio import DiskAccess, threaded


def where() -> str:
    return threading.current_thread().name


async def test_fast_calls_stay_on_the_loop_and_repeated_slow_calls_move_the_rest() -> None:
    # Call durations: 1 ms, 500 ms, 1 ms, 500 ms (the second slow one is one too many).
    ticks = iter([0.0, 0.001, 1.0, 1.5, 2.0, 2.001, 3.0, 3.5])
    disk = DiskAccess(clock=lambda: next(ticks), slow=0.01, patience=2)
    loop_thread = where()
    for _ in range(3):
        assert await disk.call(where) == loop_thread
    assert disk.inline
    assert await disk.call(where) == loop_thread
    assert not disk.inline
    assert await disk.call(where) != loop_thread


async def test_errors_come_through_either_way() -> None:
    def fail() -> None:
        raise FileNotFoundError("gone")

    for disk in (DiskAccess(), threaded()):
        with pytest.raises(FileNotFoundError):
            await disk.call(fail)
