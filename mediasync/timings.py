"""Where one sync's time goes, phase by phase: an opt-in report for benchmarks and slow runs.

With MEDIASYNC_TIMINGS=1 in the environment, `mediasync sync` ends with one line on stderr:

    timings: startup 0.310 s, access 0.004 s, scan 0.412 s, state 0.201 s, plan 0.090 s, ...

Recording costs two clock reads per phase, so it is always on; only the printing is opt-in.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping

ENV = "MEDIASYNC_TIMINGS"


class Timings:
    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.phases: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = self._clock()
        try:
            yield
        finally:
            self.add(name, self._clock() - start)

    def add(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def describe(self) -> str:
        return "timings: " + ", ".join(f"{n} {s:.3f} s" for n, s in self.phases.items())


def wanted(env: Mapping[str, str] = os.environ) -> bool:
    return env.get(ENV, "").strip().lower() not in ("", "0", "false", "no")


def since_process_start() -> float | None:
    """Seconds since this process started (interpreter and imports included), if the OS says."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # Field 22, counted after the ")" that closes the command name, is the start time.
            started = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, now - started / os.sysconf("SC_CLK_TCK"))
