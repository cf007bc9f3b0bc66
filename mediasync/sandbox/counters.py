"""Traffic counters that tests and demo scripts read to see what a client actually did."""

from __future__ import annotations

import threading
from collections import Counter
from enum import StrEnum
from typing import Any

from mediasync.sandbox.faults import FaultKind


class Event(StrEnum):
    UPLOADS = "uploads"
    UPLOAD_BYTES_READ = "upload_bytes_read"
    DELETES = "deletes"
    FOLDERS_CREATED = "folders_created"
    RENAMES = "renames"
    RATE_LIMITED = "rate_limited"


class Counters:
    """Thread-safe because an in-process test reads them while the server thread writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests_per_route: Counter[str] = Counter()
        self._responses_per_status: Counter[int] = Counter()
        self._events: Counter[Event] = Counter()
        self._faults: Counter[FaultKind] = Counter()

    def record_request(self, route: str, status: int) -> None:
        with self._lock:
            self._requests_per_route[route] += 1
            self._responses_per_status[status] += 1

    def add(self, event: Event, amount: int = 1) -> None:
        with self._lock:
            self._events[event] += amount

    def record_fault(self, kind: FaultKind) -> None:
        with self._lock:
            self._faults[kind] += 1

    def get(self, event: Event) -> int:
        with self._lock:
            return self._events[event]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            per_status = sorted(self._responses_per_status.items())
            return {
                "requests_total": sum(self._requests_per_route.values()),
                "requests_per_route": dict(sorted(self._requests_per_route.items())),
                "responses_per_status": {str(status): count for status, count in per_status},
                **{event.value: self._events[event] for event in Event},
                "faults": {kind.value: self._faults[kind] for kind in FaultKind},
            }

    def reset(self) -> None:
        with self._lock:
            self._requests_per_route.clear()
            self._responses_per_status.clear()
            self._events.clear()
            self._faults.clear()
