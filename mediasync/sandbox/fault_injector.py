"""The fault plan in force on a running sandbox and the seeded random stream that applies it.

Swappable while serving: tests switch plans from their own thread (or through
`POST /_sandbox/faults`) while the server's event loop draws, hence the lock.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from mediasync.sandbox.faults import FaultKind, FaultPlan


@dataclass(frozen=True)
class InjectedFault:
    """A fault chosen for one request, with the plan it was drawn from (the plan may be
    swapped while the request is still being handled)."""

    kind: FaultKind
    plan: FaultPlan


class FaultInjector:
    """Decides, one uniform draw per API request, whether and how that request fails.

    Every `set_plan` restarts the random stream from the plan's seed, so the same seed and
    the same order of requests give the same faults. Without a seed the stream is random.
    """

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._plan = plan or FaultPlan()
        self._rng = random.Random(self._plan.seed)

    @property
    def plan(self) -> FaultPlan:
        with self._lock:
            return self._plan

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._rng = random.Random(plan.seed)

    def draw(self) -> InjectedFault | None:
        with self._lock:
            plan = self._plan
            if not plan.active:
                return None
            roll = self._rng.random()
        kind = plan.kind_for(roll)
        return None if kind is None else InjectedFault(kind, plan)
