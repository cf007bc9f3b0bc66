"""Which changed paths have settled: the watcher's memory between a change and its upload.

A path is ready once two looks at it, a settle window apart, see the same size and mtime (or
see it gone both times). Every new change pushes its check back a window, but never past
`max_deferral` after the path was first seen changing: a file that never stops changing is
sent as it stands at most once per that interval. Time is handed in; nothing here sleeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from mediasync.models import LocalFile, Rejection

# What one stat of a path found: a file, a reason it cannot be synced, or nothing.
Look = LocalFile | Rejection | None


class Verdict(Enum):
    WAIT = "wait"  # still changing: look again later
    READY = "ready"  # the same two looks in a row
    FORCED = "forced"  # still changing, but it has waited max_deferral


@dataclass(slots=True)
class _Pending:
    first_seen: float
    due: float
    seen: Look
    epoch: int


class Settler:
    def __init__(self, window: float, max_deferral: float) -> None:
        self.window = window
        self.max_deferral = max_deferral
        self._pending: dict[str, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, path: object) -> bool:
        return path in self._pending

    def note(self, path: str, seen: Look, now: float, epoch: int) -> None:
        """A change was reported for `path`, which a stat just now found as `seen`."""
        pending = self._pending.get(path)
        if pending is None:
            self._pending[path] = _Pending(now, now + self.window, seen, epoch)
            return
        pending.seen = seen
        pending.due = max(pending.due, self._capped(pending, now + self.window))

    def due(self, now: float) -> list[str]:
        """Paths whose check is due, in a stable order."""
        return sorted(p for p, pending in self._pending.items() if pending.due <= now)

    def next_due(self) -> float | None:
        return min((p.due for p in self._pending.values()), default=None)

    def check(self, path: str, seen: Look, now: float) -> Verdict:
        """Judge a due path by a fresh stat. A ready or forced path leaves the tracker."""
        pending = self._pending[path]
        if seen == pending.seen:
            del self._pending[path]
            return Verdict.READY
        pending.seen = seen
        if now >= pending.first_seen + self.max_deferral:
            del self._pending[path]
            return Verdict.FORCED
        pending.due = self._capped(pending, now + self.window)
        return Verdict.WAIT

    def forget(self, path: str) -> None:
        self._pending.pop(path, None)

    def hold(self, path: str) -> None:
        """Do not judge `path` until `recheck_now`: its upload is still in flight."""
        self._pending[path].due = math.inf

    def recheck_now(self, path: str, now: float) -> None:
        """Look at `path` again at once (its upload in flight just ended)."""
        if path in self._pending:
            self._pending[path].due = now

    def epoch_of(self, path: str) -> int | None:
        pending = self._pending.get(path)
        return pending.epoch if pending else None

    def waiting_files(self) -> dict[str, int]:
        """Paths last seen as files (uploads to come), with the epoch of their first change."""
        return {p: v.epoch for p, v in self._pending.items() if isinstance(v.seen, LocalFile)}

    def _capped(self, pending: _Pending, due: float) -> float:
        return min(due, pending.first_seen + self.max_deferral)
