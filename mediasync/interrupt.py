"""SIGINT and SIGTERM: the first asks the run to stop cleanly, the second ends it at once.

The first signal sets the engine's `stop` event: no new upload or delete starts, those in
flight get the grace period, every outcome is committed. A second signal exits on the spot;
that is still safe because state is only ever changed by whole SQLite transactions run on the
event loop, between which this handler runs, and intents cover anything cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from typing import NoReturn

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(
        self,
        stop: asyncio.Event,
        announce: Callable[[str], None],
        grace: float,
        exit_now: Callable[[int], NoReturn] = os._exit,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.stop = stop
        self.on_stop = on_stop
        self.received: int | None = None
        self._announce = announce
        self._grace = grace
        self._exit_now = exit_now

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        assert self.received is not None
        return 128 + self.received

    def handle(self, signum: int) -> None:
        if self.received is not None:
            self._announce("second signal: stopping now; the next run settles what was cut short")
            self._exit_now(128 + signum)
        self.received = signum
        self.stop.set()
        self.on_stop()
        self._announce(
            f"{signal.Signals(signum).name}: no new transfers; waiting up to {self._grace:g} s "
            "for those in flight (signal again to stop at once)"
        )

    @contextlib.contextmanager
    def installed(self, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        for signum in SIGNALS:
            loop.add_signal_handler(signum, self.handle, signum)
        try:
            yield
        finally:
            for signum in SIGNALS:
                loop.remove_signal_handler(signum)
